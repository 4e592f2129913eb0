// Sign-in page: posts the credentials to /api/auth/login and, once signed in, goes to the workspace (./).
// Messages from the server are shown with textContent only; this file is loaded as a module (the CSP has no
// 'unsafe-inline' for scripts).

const form = document.getElementById("signin-form");
const message = document.getElementById("signin-message");
const submit = document.getElementById("signin-submit");

// Where to go after signing in: the page that sent the agent here (?next=), if it is on this site. Parsed the
// way the browser will follow it (the URL parser drops tabs and newlines: "/\t/evil.example" is another host),
// then its origin compared with ours.
function nextPage() {
  const next = new URLSearchParams(location.search).get("next");
  if (!next) return "./";
  try {
    const target = new URL(next, location.href);
    if (target.origin === location.origin && (target.protocol === "http:" || target.protocol === "https:")) {
      return target.pathname + target.search + target.hash;
    }
  } catch (_) {
    // Not a URL at all: the workspace.
  }
  return "./";
}

function say(text) {
  message.textContent = text;
}

async function signIn(event) {
  event.preventDefault();
  const username = form.elements.username.value.trim();
  const password = form.elements.password.value;
  if (!username || !password) {
    say("Enter your username and password.");
    return;
  }
  submit.disabled = true;
  say("Signing in…");
  try {
    const response = await fetch("./api/auth/login", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ username, password }),
    });
    if (response.ok) {
      document.body.dataset.signedIn = "true";
      window.location.assign(nextPage());
      return;
    }
    let text = `Sign-in failed (${response.status}).`;
    try {
      const body = await response.json();
      if (body && body.error && typeof body.error.message === "string") text = body.error.message;
    } catch (_) {
      // Not our JSON error shape (a proxy page, say): keep the generic text.
    }
    say(text);
  } catch (_) {
    say("The server cannot be reached. Check your connection and try again.");
  } finally {
    submit.disabled = false;
  }
}

form.addEventListener("submit", signIn);
document.body.dataset.ready = "true";
