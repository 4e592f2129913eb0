// The static demo's service worker (docs/static-demo.md, "Caching the runtime"). Shipped at the build's root, so
// its scope is the build's folder. A plain static host (python -m http.server) sends no Cache-Control and no
// compression: without this, every reload revalidates each runtime file, and Chromium does not keep the 9.6 MB
// pyodide.asm.wasm in a small (in-memory) HTTP cache at all, so a reload downloads it again. Here the runtime files
// (vendor/, whose folders carry versions, and app.zip) are answered from a cache named after the build, filled once
// after the first boot (offline.js registers this after ready) and deleted when a new build takes over. Everything
// else (the page, data/*.json, css, js) goes to the network as without a service worker; nothing from another
// origin is touched.
//
// server/static_demo.py replaces the next two lines with the build's version and its runtime files.
const BUILD = "dev";
const PRECACHE = [];

const PREFIX = "casework-demo-runtime-";
const CACHE = PREFIX + BUILD;
const SCOPE = new URL(self.registration.scope);

function runtimePath(url) {
  // The path inside the build's folder of a runtime file, or null for anything else.
  if (url.origin !== SCOPE.origin || !url.pathname.startsWith(SCOPE.pathname)) return null;
  const path = url.pathname.slice(SCOPE.pathname.length);
  return path.startsWith("vendor/") || path === "app.zip" ? path : null;
}

self.addEventListener("install", (event) => {
  // All or nothing: a failed download leaves no half-filled cache in charge (the page keeps using the network).
  event.waitUntil(caches.open(CACHE)
    .then((cache) => cache.addAll(PRECACHE.map((path) => new URL(path, SCOPE).href)))
    .then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((name) => name.startsWith(PREFIX) && name !== CACHE)
      .map((name) => caches.delete(name))))
    .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET" || request.headers.has("range")) return;
  const url = new URL(request.url);
  if (runtimePath(url) === null) return; // not ours to answer: the browser fetches it as it would without us
  event.respondWith(caches.open(CACHE).then(async (cache) => {
    const hit = await cache.match(request);
    if (hit) return hit;
    const response = await fetch(request);
    if (response.ok && response.type === "basic") event.waitUntil(cache.put(request, response.clone()));
    return response;
  }));
});
