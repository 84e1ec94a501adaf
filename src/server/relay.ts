// The image relay: the app's own server (dev, preview, `npm run serve`) fetches an image for its own
// page when the image's host refuses CORS. It is no open proxy: same-origin requests only (Sec-Fetch-
// Site), addressed to the server's own host names (against DNS rebinding), GET only, http(s) only,
// public destination addresses only (checked after DNS, connected to the checked address, re-checked
// on every redirect, at most 5), no cookies or credentials, a byte cap, a timeout, image bytes only,
// and a bounded number of relays at once.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { readImageHeader, sniffFormat } from '../data/image/header.ts';
import { RELAY_HEADER, type RelayFailure } from '../protocol/ingest.ts';
import { addressKind } from './address-policy.ts';

export interface RelayOptions {
  maxBytes: number;
  timeoutMs: number;
  maxConcurrent: number;
  /** Tests only (DEEPART_RELAY_ALLOW_LOOPBACK=1): also fetch from 127.0.0.0/8 and ::1 fixture hosts. */
  allowLoopback: boolean;
  /** Host names this server is reached by, besides localhost and loopback addresses. */
  hostNames: string[];
}

export const DEFAULT_RELAY_OPTIONS: RelayOptions = {
  maxBytes: 20_000_000,
  timeoutMs: 15_000,
  maxConcurrent: 8,
  allowLoopback: false,
  hostNames: [],
};

export function relayOptionsFromEnv(env: Record<string, string | undefined>): RelayOptions {
  return {
    ...DEFAULT_RELAY_OPTIONS,
    allowLoopback: env.DEEPART_RELAY_ALLOW_LOOPBACK === '1',
    hostNames: (env.DEEPART_RELAY_HOSTS ?? '').split(',').filter(Boolean),
  };
}

/** One upstream GET to an already checked address. */
export interface Upstream {
  (url: URL, address: string, family: number, signal: AbortSignal): Promise<IncomingMessage>;
}

/** Connects to exactly the address that was checked (no second DNS answer can swap it). */
export const connectUpstream: Upstream = (url, address, family, signal) =>
  new Promise((resolve, reject) => {
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, {
      method: 'GET',
      agent: false,
      signal,
      headers: { 'user-agent': 'DeepArtStudio-image-relay/1', accept: 'image/avif,image/webp,image/*;q=0.9' },
      lookup: (_host, options, callback) => {
        if ((options as { all?: boolean }).all)
          (callback as (e: null, a: object[]) => void)(null, [{ address, family }]);
        else callback(null, address, family);
      },
    });
    request.on('response', resolve);
    request.on('error', reject);
    request.end();
  });

class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly failure: RelayFailure,
  ) {
    super(failure.detail);
  }
}

const refuse = (status: number, reason: RelayFailure['reason'], detail: string, retry = false) =>
  new Refusal(status, { reason, detail, ...(retry ? { retry } : {}) });

/** The request must come from this server's own page, by one of this server's names. */
function checkCaller(req: IncomingMessage, options: RelayOptions): void {
  if (req.method !== 'GET') throw refuse(405, 'invalid-url', 'the relay answers GET only');
  const site = req.headers['sec-fetch-site'];
  if (site !== 'same-origin') {
    throw refuse(
      403,
      'invalid-url',
      `the relay serves this app's own pages only (Sec-Fetch-Site: ${site ?? 'none'})`,
    );
  }
  const host = new URL(`http://${req.headers.host ?? ''}`);
  const names = new Set(['127.0.0.1', 'localhost', '[::1]', ...options.hostNames]);
  const port = String(req.socket.localPort);
  if (!names.has(host.hostname) || (host.port || '80') !== port) {
    throw refuse(403, 'invalid-url', `the relay does not answer to the host name ${host.host}`);
  }
}

/** Resolves the destination and refuses any that is not a public address. */
async function checkDestination(
  url: URL,
  options: RelayOptions,
): Promise<{ address: string; family: number }> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw refuse(400, 'invalid-url', `not an http(s) URL (${url.protocol})`);
  }
  if (url.username || url.password) throw refuse(400, 'invalid-url', 'contains a user name or password');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host)
    ? [{ address: host, family: isIP(host) }]
    : await lookup(host, { all: true }).catch(() => {
        throw refuse(502, 'network', `the host name ${host} does not resolve`);
      });
  for (const { address } of addresses) {
    const kind = addressKind(address);
    if (kind === 'public' || (kind === 'loopback' && options.allowLoopback)) continue;
    throw refuse(
      403,
      'cors',
      `the host refuses CORS, and the relay does not fetch from ${kind} addresses (${address})`,
    );
  }
  return addresses[0];
}

async function readBody(response: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = Number(response.headers['content-length'] ?? NaN);
  const tooLarge = (what: string) =>
    refuse(502, 'too-large', `too large: ${what} (the limit is ${maxBytes / 1e6} MB)`);
  if (declared > maxBytes) {
    response.destroy();
    throw tooLarge(`${(declared / 1e6).toFixed(1)} MB`);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of response as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > maxBytes) {
      response.destroy();
      throw tooLarge(`more than ${maxBytes / 1e6} MB`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

const CONTENT_TYPES: Record<string, string> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  webp: 'image/webp',
  bmff: 'image/avif',
  bmp: 'image/bmp',
  ico: 'image/x-icon',
};

async function relayImage(target: URL, options: RelayOptions, upstream: Upstream, signal: AbortSignal) {
  let url = target;
  for (let redirects = 0; ; redirects++) {
    const { address, family } = await checkDestination(url, options);
    const response = await upstream(url, address, family, signal);
    const status = response.statusCode ?? 0;
    if ([301, 302, 303, 307, 308].includes(status) && response.headers.location) {
      response.resume();
      if (redirects >= 5) throw refuse(502, 'http', 'more than 5 redirects');
      url = new URL(response.headers.location, url);
      continue;
    }
    if (status < 200 || status > 299) {
      response.resume();
      throw refuse(
        502,
        'http',
        `HTTP ${status}${response.statusMessage ? ` ${response.statusMessage}` : ''}`,
        status >= 500 || status === 429,
      );
    }
    const body = await readBody(response, options.maxBytes);
    const format = sniffFormat(body);
    if (!format) {
      // Only image bytes leave the relay: anything else is named, never passed on.
      const verdict = readImageHeader(body);
      const reason = !verdict.ok && verdict.reason === 'unsupported' ? 'unsupported' : 'not-image';
      throw refuse(502, reason, verdict.ok ? 'not an image' : verdict.detail);
    }
    return { body, type: CONTENT_TYPES[format] };
  }
}

export function createRelay(
  options: RelayOptions = DEFAULT_RELAY_OPTIONS,
  upstream: Upstream = connectUpstream,
) {
  let active = 0;
  return async function relay(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader(RELAY_HEADER, '1');
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), options.timeoutMs);
    let counted = false;
    try {
      checkCaller(req, options);
      if (active >= options.maxConcurrent) throw refuse(503, 'network', 'the relay is busy', true);
      active++;
      counted = true;
      const query = new URL(req.url ?? '/', 'http://relay').searchParams;
      let target: URL;
      try {
        target = new URL(query.get('url') ?? '');
      } catch {
        throw refuse(400, 'invalid-url', 'not an absolute URL');
      }
      const max = Math.min(options.maxBytes, Number(query.get('max')) || options.maxBytes);
      const { body, type } = await relayImage(
        target,
        { ...options, maxBytes: max },
        upstream,
        controller.signal,
      );
      res.writeHead(200, { 'Content-Type': type, 'Content-Length': body.length });
      res.end(body);
    } catch (error) {
      const refusal =
        error instanceof Refusal
          ? error
          : controller.signal.aborted
            ? refuse(504, 'timeout', `no complete answer within ${options.timeoutMs / 1000} s`)
            : refuse(
                502,
                'network',
                `the relay could not fetch it (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
                true,
              );
      res.writeHead(refusal.status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(refusal.failure));
    } finally {
      clearTimeout(timer);
      if (counted) active--;
    }
  };
}
