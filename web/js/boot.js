// Boot progress and boot failure for the workspace shell.
//
// The shell paints from static HTML at once; this module only moves the progress bar while PyScript loads Pyodide
// and our Python, and turns any failure before Python reports ready into a readable error panel (never a blank or
// half-painted page). Python signals readiness by setting `document.body.dataset.ready = "1"`.
// Lives in a file, not inline: the Content-Security-Policy forbids inline scripts on purpose.

const body = document.body;
const started = performance.now();
const DEFAULT_TIMEOUT_S = 90;
const params = new URLSearchParams(location.search);
const timeoutSeconds = Number(params.get("bootTimeout")) > 0 ? Number(params.get("bootTimeout")) : DEFAULT_TIMEOUT_S;

const el = (id) => document.getElementById(id);
let progress = 5;
let finished = false;

// Stages we can observe from the outside, in load order, with the share of the bar they complete.
const RESOURCE_STAGES = [
  { match: /pyodide\.asm\.wasm$/, percent: 45, text: "Starting Python…" },
  { match: /python_stdlib\.zip$/, percent: 60, text: "Loading the Python standard library…" },
  { match: /\/app\.zip(\?|$)/, percent: 75, text: "Loading the workspace…" },
];

// Files without which Python cannot start; an error status on any of them is a failed boot.
const BOOT_FILES = /\/(vendor\/|app\.zip)/;

function setStage(text, percent) {
  if (finished) return;
  if (percent !== undefined && percent > progress) {
    progress = Math.min(percent, 99);
    el("boot-progress-fill").style.width = `${progress}%`;
    el("boot-progress").setAttribute("aria-valuenow", String(Math.round(progress)));
  }
  if (text) el("boot-status").textContent = text;
}

function fail(summary, details) {
  if (finished) return;
  finished = true;
  observer.disconnect();
  clearTimeout(watchdog);
  body.dataset.bootFailed = "1";
  body.removeAttribute("aria-busy");
  el("boot").hidden = true;
  el("boot-error-summary").textContent = summary;
  el("boot-error-details").textContent = details || summary;
  el("boot-error").hidden = false;
}

function ready() {
  if (finished) return;
  finished = true;
  observer.disconnect();
  clearTimeout(watchdog);
  window.caseworkBoot.readyAt = performance.now();
  window.caseworkBoot.marks.ready = window.caseworkBoot.readyAt;
  el("boot-progress-fill").style.width = "100%";
  body.removeAttribute("aria-busy");
  document.dispatchEvent(new CustomEvent("casework:ready", { detail: { ms: window.caseworkBoot.readyAt - started } }));
}

function describe(reason) {
  if (reason instanceof Error) return { summary: reason.message.split("\n")[0], details: reason.stack || reason.message };
  const text = String(reason && reason.message ? reason.message : reason);
  return { summary: text.split("\n")[0], details: text };
}

// Python (main.py) reports stages and failures through this object; tests and benchmarks read `readyAt`.
window.caseworkBoot = {
  startedAt: started,
  readyAt: null,
  marks: {},
  mark: (name) => { window.caseworkBoot.marks[name] = performance.now(); },
  stage: setStage,
  fail: (summary, details) => fail(`Python failed while starting: ${summary}`, details),
};

const observer = new MutationObserver((records) => {
  for (const record of records) {
    if (record.type === "attributes" && body.dataset.ready) ready();
    for (const node of record.addedNodes || []) {
      // PyScript reports errors (a missing runtime file, a Python exception) as a `.py-error` banner.
      if (node.nodeType === 1 && node.classList.contains("py-error")) {
        const { summary, details } = describe(node.textContent);
        fail(`The Python runtime reported an error: ${summary}`, details);
      }
    }
  }
});
observer.observe(body, { attributes: true, attributeFilter: ["data-ready"], childList: true });

addEventListener("error", (event) => {
  if (finished) return;
  const target = event.target;
  if (target && target !== window && (target.src || target.href)) {
    fail(`Could not load ${target.src || target.href}`);
    return;
  }
  const { summary, details } = describe(event.error || event.message);
  fail(summary, details);
}, true);

addEventListener("unhandledrejection", (event) => {
  if (finished) return;
  const { summary, details } = describe(event.reason);
  fail(summary, details);
});

document.addEventListener("py:ready", () => {
  window.caseworkBoot.mark("interpreter");
  setStage("Running the workspace…", 88);
}, true);

const watchdog = setTimeout(() => {
  fail(`Python did not start within ${timeoutSeconds} seconds.`,
    `Last step: ${el("boot-status").textContent}\nThe runtime files may be missing (run the setup step) or the ` +
    `browser may be out of memory.`);
}, timeoutSeconds * 1000);

try {
  const resources = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      // Pyodide waits forever when its wasm answers an error status, so a failed boot file ends the boot here.
      if (entry.responseStatus >= 400 && BOOT_FILES.test(entry.name)) {
        fail(`Could not load ${new URL(entry.name).pathname} (HTTP ${entry.responseStatus}).`,
          `${entry.name} answered HTTP ${entry.responseStatus}. The runtime files may be missing: run the setup ` +
          `step (scripts/setup) and reload.`);
        return;
      }
      const stage = RESOURCE_STAGES.find((s) => s.match.test(entry.name));
      if (stage) setStage(stage.text, stage.percent);
    }
  });
  resources.observe({ type: "resource", buffered: true });
} catch {
  // PerformanceObserver missing: the bar still moves on py:ready and completes on ready.
}

el("boot-reload").addEventListener("click", () => location.reload());

// Who is signed in, asked at once so the answer is there before Python is: not signed in means the sign-in page
// (before spending seconds on the runtime). Python reads the answer from `caseworkBoot.me` (JSON text).
// The static demo (docs/static-demo.md) has no server: "signed in" is the demo user chosen on its signin.html, and
// Python answers /me itself (casework.static_records). Then `me` is that user's name, not the /api/me text.
const STATIC_DEMO = document.querySelector('meta[name="casework-mode"][content="static"]') !== null;

function toSignIn() {
  const next = location.pathname + location.search + location.hash;
  finished = true; // leaving: not a failure to show
  clearTimeout(watchdog);
  location.replace(`signin.html?next=${encodeURIComponent(next)}`);
  return null;
}

function demoUser() {
  try {
    return localStorage.getItem("casework.demo.user");
  } catch (_) {
    return null;
  }
}

window.caseworkBoot.me = STATIC_DEMO ? Promise.resolve(demoUser() || toSignIn()) : fetch("api/me", { credentials: "same-origin", headers: { Accept: "application/json" } })
  .then(async (response) => {
    if (response.status === 401) return toSignIn();
    if (!response.ok) throw new Error(`Could not load your profile (HTTP ${response.status}).`);
    return response.text();
  })
  .catch((error) => {
    fail(error.message || "The server cannot be reached.", String(error.stack || error));
    return null;
  });
setStage("Loading the Python runtime…", 10);
