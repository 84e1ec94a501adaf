// The service worker: the app works offline after one visit, and the ~100 MB of ResNet50 weights are
// downloaded once and never revalidated. Built by the `service-worker` Vite plugin, which injects the
// version and the list of the build's files (see src/server/service-worker-build.ts).
//   - install: caches every file of this build (app shell, workers, wasm). Not the weights: the ML
//     worker puts each weight file in the weights cache as it loads it, so a first visit moves the
//     ~100 MB over the network once (fetched here as well, they crossed it twice);
//   - fetch: same-origin GETs from the caches first (pages: the cached index.html), the network
//     otherwise; the image relay and other origins are never touched;
//   - a new version waits until the page asks it to take over (the "New version — Reload" prompt).
// Cached responses keep the server's headers (COOP/COEP), so the page stays cross-origin isolated
// offline and the wasm backend keeps its threads.
/// <reference lib="webworker" />
export {};
declare const self: ServiceWorkerGlobalScope;

const VERSION = '__SW_VERSION__';
const PRECACHE: string[] = JSON.parse('__SW_PRECACHE__');
const MODEL_JSON = '__SW_MODEL_JSON__';
const NETWORK_ONLY = '__SW_NETWORK_ONLY__';
const SHELL = `shell-${VERSION}`;
/** Filled by the ML worker; the weights do not change with the app's version: one cache for every version. */
const WEIGHTS = '__SW_WEIGHTS_CACHE__';
const MODELS = MODEL_JSON.slice(0, MODEL_JSON.lastIndexOf('/') + 1);

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(SHELL).then((cache) => cache.addAll(PRECACHE)));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys())
        if (key.startsWith('shell-') && key !== SHELL) await caches.delete(key);
      await self.clients.claim();
    })(),
  );
});

self.addEventListener('message', (event) => {
  if ((event.data as { type?: string } | null)?.type === 'skip-waiting') void self.skipWaiting();
});

async function fromCache(request: Request, url: URL): Promise<Response> {
  const cacheName = url.pathname.startsWith(MODELS) ? WEIGHTS : SHELL;
  const key = request.mode === 'navigate' ? '/index.html' : url.pathname;
  const cached = await caches.match(key, { cacheName });
  // A miss goes to the network (the ML worker, which asked, stores the weights it receives).
  return cached ?? fetch(request);
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname.startsWith(NETWORK_ONLY)) return;
  if (url.pathname === '/sw.js') return;
  event.respondWith(fromCache(request, url));
});
