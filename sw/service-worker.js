// Cohort's service worker: the app opens with no network, from a cold start.
//
// scripts/precache.sh writes it into each build as /sw.js, with BUILD and FILES filled in:
// every file of that build with its SHA-256, so the list can never name a file of another
// build. Install fetches them all and checks each against its hash: if the server already
// has a newer build, the check fails and this worker never installs (the newer one will).
//
// A page keeps the build it started with: a new worker waits until the page says the
// organizer chose to reload ("skip-waiting"), and every page reloads when it takes over, so
// no page runs a mix of two builds' files.

const BUILD = "__BUILD__";
const FILES = __FILES__;
const CACHE = `cohort-${BUILD}`;
const PATHS = new Set(FILES.map(([path]) => path));
// What every in-app address (`/`, `/g/<id>/members`) is served.
const SHELL = "/index.html";

const hex = (buffer) =>
  [...new Uint8Array(buffer)].map((byte) => byte.toString(16).padStart(2, "0")).join("");

async function precache() {
  const cache = await caches.open(CACHE);
  await Promise.all(
    FILES.map(async ([path, sha256]) => {
      // Revalidated, not reloaded: a hashed file already in the HTTP cache costs a 304.
      const response = await fetch(path, { cache: "no-cache" });
      if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
      const body = await response.arrayBuffer();
      if (hex(await crypto.subtle.digest("SHA-256", body)) !== sha256) {
        throw new Error(`${path} on the server is not build ${BUILD}'s`);
      }
      // The body is decoded already: keep only the type (wasm streaming needs it).
      const type = response.headers.get("Content-Type") ?? "application/octet-stream";
      await cache.put(path, new Response(body, { headers: { "Content-Type": type } }));
    }),
  );
}

self.addEventListener("install", (event) => event.waitUntil(precache()));

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) {
        if (key.startsWith("cohort-") && key !== CACHE) await caches.delete(key);
      }
    })(),
  );
});

self.addEventListener("message", (event) => {
  if (event.data === "skip-waiting") self.skipWaiting();
});

// Whether a navigation is to an address of the app rather than to a file or the relay's own.
function inApp(url) {
  return !url.pathname.includes(".") && url.pathname !== "/healthz" && url.pathname !== "/sync";
}

async function fromCache(path, request) {
  const cached = await (await caches.open(CACHE)).match(path);
  return cached ?? fetch(request);
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && inApp(url)) {
    event.respondWith(fromCache(SHELL, request));
  } else if (PATHS.has(url.pathname)) {
    event.respondWith(fromCache(url.pathname, request));
  }
});
