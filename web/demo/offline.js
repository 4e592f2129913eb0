// Registers the static demo's service worker (sw.js at the build's root: it caches the runtime files; see there).
// Registered only once the workspace is ready, so its downloads never compete with the first boot; a later visit
// (a reload included) then takes the runtime from its cache. Loaded by the static build's index.html only.
//
// `caseworkBoot.serviceWorker` resolves once a service worker controls this page with its cache filled (true), or
// to false where there is none (no support, not a secure context, registration refused); bench/boot.py waits on it
// before its warm reload, as it stands for a later visit.
const boot = window.caseworkBoot;

function register() {
  if (!("serviceWorker" in navigator) || !window.isSecureContext) return Promise.resolve(false);
  const workers = navigator.serviceWorker;
  let settle;
  const controlled = new Promise((resolve) => { settle = resolve; });
  if (workers.controller) settle(true);
  else workers.addEventListener("controllerchange", () => settle(true), { once: true });
  return workers.register("sw.js")
    .then((registration) => {
      const installing = registration.installing;
      // A failed install (a runtime file did not download) leaves the page on the network: say so.
      if (installing) installing.addEventListener("statechange", () => {
        if (installing.state === "redundant" && !workers.controller) settle(false);
      });
      return controlled;
    })
    .catch((error) => {
      console.warn("Casework demo: no service worker, the runtime is fetched on every visit:", error);
      return false;
    });
}

boot.serviceWorker = new Promise((resolve) => {
  if (boot.readyAt !== null) resolve(register());
  else document.addEventListener("casework:ready", () => resolve(register()), { once: true });
});
