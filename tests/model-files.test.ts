// The ML worker keeps the model's files in Cache Storage: fetched once, read from the cache after,
// and a cache that cannot store (a full quota) or does not exist never fails a load.
import { describe, expect, it } from 'vitest';
import { cachedModelFiles, type CacheStore } from '../src/worker/ml/model-files';

/** An in-memory stand-in for the browser's CacheStorage (Node has none); `full` makes every put fail. */
function memoryStore(full = false): CacheStore & { entries: Map<string, Map<string, Response>> } {
  const entries = new Map<string, Map<string, Response>>();
  return {
    entries,
    async open(name) {
      const cache = entries.get(name) ?? new Map<string, Response>();
      entries.set(name, cache);
      return {
        async match(key: RequestInfo | URL) {
          return cache.get(String(key))?.clone();
        },
        async put(key: RequestInfo | URL, response: Response) {
          if (full) throw new DOMException('Quota exceeded', 'QuotaExceededError');
          cache.set(String(key), new Response(await response.arrayBuffer(), response));
        },
      };
    },
  };
}

const FILES: Record<string, Uint8Array> = {
  '/models/m/model.json': new TextEncoder().encode('{"weightsManifest":[]}'),
  '/models/m/shard1.bin': Uint8Array.from([1, 2, 3, 4]),
};

function countingNetwork() {
  const calls: string[] = [];
  return {
    calls,
    network: async (path: string) => {
      calls.push(path);
      return new Response(FILES[path].slice(), { status: 200 });
    },
  };
}

describe('cachedModelFiles', () => {
  it('fetches each file once, then reads it from the cache with the same bytes', async () => {
    const store = memoryStore();
    const first = countingNetwork();
    const files = cachedModelFiles('weights-test', store, first.network);
    expect(await files.json('/models/m/model.json')).toEqual({ weightsManifest: [] });
    expect(new Uint8Array(await files.binary('/models/m/shard1.bin'))).toEqual(FILES['/models/m/shard1.bin']);
    await files.settled?.();
    expect(first.calls).toEqual(['/models/m/model.json', '/models/m/shard1.bin']);
    expect([...store.entries.get('weights-test')!.keys()]).toEqual(Object.keys(FILES));

    // A later start (a new loader, as after a reload) never touches the network.
    const second = countingNetwork();
    const again = cachedModelFiles('weights-test', store, second.network);
    expect(await again.json('/models/m/model.json')).toEqual({ weightsManifest: [] });
    expect(new Uint8Array(await again.binary('/models/m/shard1.bin'))).toEqual(FILES['/models/m/shard1.bin']);
    expect(second.calls).toEqual([]);
  });

  it('a cache that cannot store (full quota) still loads, from the network each time', async () => {
    const store = memoryStore(true);
    const net = countingNetwork();
    for (let i = 0; i < 2; i++) {
      const files = cachedModelFiles('weights-test', store, net.network);
      expect(new Uint8Array(await files.binary('/models/m/shard1.bin'))).toEqual(
        FILES['/models/m/shard1.bin'],
      );
      await files.settled?.();
    }
    expect(net.calls).toEqual(['/models/m/shard1.bin', '/models/m/shard1.bin']);
  });

  it('without Cache Storage (or when it cannot open) it loads from the network', async () => {
    const net = countingNetwork();
    const refusing: CacheStore = { open: () => Promise.reject(new DOMException('denied', 'SecurityError')) };
    for (const store of [undefined, refusing]) {
      const files = cachedModelFiles('weights-test', store, net.network);
      expect(new Uint8Array(await files.binary('/models/m/shard1.bin'))).toEqual(
        FILES['/models/m/shard1.bin'],
      );
    }
    expect(net.calls).toHaveLength(2);
  });

  it('a failed download is the error the caller sees, and nothing is cached', async () => {
    const store = memoryStore();
    const files = cachedModelFiles('weights-test', store, async (path) => {
      throw new Error(`Could not load the model file ${path} (HTTP 404).`);
    });
    await expect(files.binary('/models/m/shard1.bin')).rejects.toThrow('HTTP 404');
    expect(store.entries.get('weights-test')?.size ?? 0).toBe(0);
  });
});
