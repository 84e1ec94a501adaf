// The service worker: the app works offline after one visit, and the ~100 MB of ResNet50 weights are
// downloaded once and never revalidated. Built by the `service-worker` Vite plugin, which injects the
// version and the list of the build's files (see scripts/service-worker-plugin.ts).
//   - install: caches every file of this build (app shell, workers, wasm) and the weights;
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
/** The weights do not change with the app's version: one cache for every version. */
const WEIGHTS = 'weights-v1';
const MODELS = MODEL_JSON.slice(0, MODEL_JSON.lastIndexOf('/') + 1);

/** The weight files named by model.json, cached unless already there. */
async function cacheWeights(): Promise<void> {
  const cache = await caches.open(WEIGHTS);
  let manifest = await cache.match(MODEL_JSON);
  if (!manifest) {
    const response = await fetch(MODEL_JSON);
    if (!response.ok) return;
    await cache.put(MODEL_JSON, response.clone());
    manifest = response;
  }
  const json = (await manifest.json()) as { weightsManifest: { paths: string[] }[] };
  const paths = json.weightsManifest.flatMap((g) => g.paths).map((p) => MODELS + p);
  for (const path of paths) if (!(await cache.match(path))) await cache.add(path);
}

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      await (await caches.open(SHELL)).addAll(PRECACHE);
      // Weights failing to cache (a full quota) cost only the offline start, not the install.
      await cacheWeights().catch(() => undefined);
    })(),
  );
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
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok && cacheName === WEIGHTS) {
    // A full quota only costs the cache.
    const copy = response.clone();
    void caches.open(WEIGHTS).then((c) => c.put(key, copy).catch(() => undefined));
  }
  return response;
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname.startsWith(NETWORK_ONLY)) return;
  if (url.pathname === '/sw.js') return;
  event.respondWith(fromCache(request, url));
});
