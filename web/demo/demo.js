// The static demo's "sign-in" (it is the build's signin.html): choose a demo user instead of signing in.
// The list comes from data/me.json (the build's export of each demo user's /api/me); names enter the page as text.
// The choice is kept in localStorage under casework.demo.user; coming here (Sign out, or no user yet) forgets it.

const KEY = "casework.demo.user";
const list = document.getElementById("demo-users");
const message = document.getElementById("signin-message");

function nextPage() {
  const next = new URLSearchParams(location.search).get("next");
  if (!next) return "./";
  try {
    const target = new URL(next, location.href);
    if (target.origin === location.origin && (target.protocol === "http:" || target.protocol === "https:")) {
      return target.pathname + target.search + target.hash;
    }
  } catch (_) {
    // Not a URL: the workspace.
  }
  return "./";
}

function choose(username) {
  localStorage.setItem(KEY, username);
  location.replace(nextPage());
}

async function show() {
  try { localStorage.removeItem(KEY); } catch (_) { /* storage blocked: said below when choosing */ }
  let users;
  try {
    const response = await fetch("data/me.json", { headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    users = await response.json();
  } catch (error) {
    message.textContent = `The demo data could not be loaded (${error.message}).`;
    return;
  }
  for (const [username, me] of Object.entries(users)) {
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "demo-user";
    button.dataset.username = username;
    const name = document.createElement("span");
    name.className = "demo-user-name";
    name.textContent = me.user.fullname;
    const roles = document.createElement("span");
    roles.className = "demo-user-roles";
    roles.textContent = `${username} · ${me.roles.join(", ")}`;
    button.append(name, roles);
    button.addEventListener("click", () => {
      try { choose(username); } catch (error) { message.textContent = `This browser blocks storage: ${error.message}`; }
    });
    item.append(button);
    list.append(item);
  }
  document.body.dataset.ready = "1";
}

show();
