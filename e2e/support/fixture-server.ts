// Real HTTP servers on 127.0.0.1 for the data tests: a CORS-enabled image host with every kind of
// bad answer a real URL list contains, and a second host that sends no CORS headers.
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FixtureFile {
  body: Buffer;
  type: string;
}

export interface FixtureHost {
  origin: string;
  /** Requests seen per path (to check resumes do not download twice). */
  hits: Map<string, number>;
  close(): Promise<void>;
}

/**
 * An HTTP server on 127.0.0.1 (a free port) that counts requests per decoded path; close() also
 * ends responses still open (hanging or endless ones).
 */
export async function serveOnLoopback(
  handle: (path: string, res: ServerResponse) => void,
): Promise<FixtureHost> {
  const hits = new Map<string, number>();
  const open = new Set<ServerResponse>();
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    hits.set(path, (hits.get(path) ?? 0) + 1);
    open.add(res);
    res.on('close', () => open.delete(res));
    handle(path, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    hits,
    close: () =>
      new Promise((resolve) => {
        for (const res of open) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function startHost(
  files: Map<string, FixtureFile>,
  options: {
    cors: boolean;
    hangPaths?: Set<string>;
    delayMs?: number;
    /** Answers wait for it (a test that must see a download mid-way, however fast the machine). */
    holdUntil?: Promise<unknown>;
  },
): Promise<FixtureHost> {
  return serveOnLoopback((path, res) => {
    if (options.cors) res.setHeader('Access-Control-Allow-Origin', '*');
    if (options.hangPaths?.has(path)) return; // never answers
    const file = files.get(path);
    const send = () => {
      if (!file) {
        res.statusCode = 404;
        res.end('not found');
        return;
      }
      res.setHeader('Content-Type', file.type);
      res.end(file.body);
    };
    const delayed = () => (options.delayMs ? setTimeout(send, options.delayMs) : send());
    if (options.holdUntil) void options.holdUntil.then(delayed);
    else delayed();
  });
}
