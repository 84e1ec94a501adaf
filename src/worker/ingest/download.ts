// Fetching one image URL: timeout, retries with backoff, a byte cap enforced from Content-Length and
// while streaming, the image relay for hosts that refuse CORS, and the true reason on failure.
import type { FailureReason } from '../../data/schema';
import { checkUrl } from '../../data/url-list';
import { RELAY_PATH, RELAY_HEADER, type RelayFailure } from '../../protocol';
import { Cancelled } from '../../ml/cancel';
import { withAwakeTimeout } from './awake-timeout';

export interface DownloadSettings {
  timeoutMs: number;
  retries: number;
  /** Prepended to each URL when set (a CORS proxy the user trusts). */
  corsProxy: string;
  /** Larger bodies are refused (from Content-Length, or as soon as the stream passes it). */
  maxBytes: number;
  /** Use the app server's image relay for hosts that refuse CORS, when the server offers one. */
  relay: boolean;
}

export type Downloaded =
  { ok: true; bytes: Uint8Array; viaRelay: boolean } | { ok: false; reason: FailureReason; detail: string };

type Failure = Extract<Downloaded, { ok: false }>;
/** A failure worth another try, and what to say if it was the last one. */
type Retry = { retry: Failure };

export const megabytes = (bytes: number): string => `${(bytes / 1e6).toFixed(bytes < 1e7 ? 1 : 0)} MB`;

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), reject(new Cancelled())), { once: true });
  });

/**
 * A failed CORS fetch and an unreachable host both surface as "TypeError: Failed to fetch". An
 * opaque (no-cors) request tells them apart: it succeeds when the server answered but did not allow
 * us to read the answer. (This needs COEP `credentialless`, which the app is served with.) It runs
 * only when the real request failed before any response arrived.
 */
function reachableWithoutCors(url: string, timeoutMs: number): Promise<boolean> {
  return withAwakeTimeout(timeoutMs, (signal) =>
    fetch(url, { mode: 'no-cors', credentials: 'omit', signal }).then(
      () => true,
      () => false,
    ),
  );
}

/** The body, read as a stream and abandoned as soon as it passes the cap. */
async function readCapped(response: Response, maxBytes: number): Promise<Uint8Array | Failure | Retry> {
  const tooLarge = (what: string): Failure => ({
    ok: false,
    reason: 'too-large',
    detail: `too large: ${what} (the limit is ${megabytes(maxBytes)})`,
  });
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) {
    void response.body?.cancel().catch(() => undefined);
    return tooLarge(megabytes(declared));
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = response.body!.getReader();
  try {
    for (let next = await reader.read(); !next.done; next = await reader.read()) {
      total += next.value.byteLength;
      if (total > maxBytes) {
        void reader.cancel().catch(() => undefined);
        return tooLarge(`more than ${megabytes(maxBytes)}`);
      }
      chunks.push(next.value);
    }
  } catch {
    // The headers arrived, so this is the connection or the encoding, never CORS.
    const of = declared >= 0 ? ` of ${declared}` : '';
    return {
      retry: {
        ok: false,
        reason: 'truncated',
        detail: `the transfer broke off after ${total}${of} bytes (connection closed or a bad Content-Encoding)`,
      },
    };
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

const httpFailure = (status: number, statusText: string): Failure => ({
  ok: false,
  reason: 'http',
  detail: `HTTP ${status}${statusText ? ` ${statusText}` : ''}`,
});

/** What the relay said, in the downloader's terms. */
function relayFailure(failure: RelayFailure): Failure | Retry {
  const result: Failure = { ok: false, reason: failure.reason, detail: `${failure.detail} (via relay)` };
  return failure.retry ? { retry: result } : result;
}

interface Context {
  settings: DownloadSettings;
  cancel: AbortSignal;
  /** Whether the app's server answered as a relay (learned on first use, per run). */
  relayAvailable: boolean | null;
}

function attempt(url: string, ctx: Context): Promise<Downloaded | Retry | 'cors'> {
  return withAwakeTimeout(ctx.settings.timeoutMs, (timeout) => attemptWithin(url, ctx, timeout));
}

async function attemptWithin(
  url: string,
  ctx: Context,
  timeout: AbortSignal,
): Promise<Downloaded | Retry | 'cors'> {
  const signal = AbortSignal.any([ctx.cancel, timeout]);
  let response: Response;
  try {
    response = await fetch(url, { mode: 'cors', credentials: 'omit', signal });
  } catch {
    if (ctx.cancel.aborted) throw new Cancelled();
    if (timeout.aborted) return timedOut(ctx);
    if (await reachableWithoutCors(url, ctx.settings.timeoutMs)) return 'cors';
    return {
      retry: {
        ok: false,
        reason: 'network',
        detail:
          'the browser could not connect (it does not tell pages why: the host may be down or unknown, ' +
          'its certificate invalid, or the connection blocked)',
      },
    };
  }
  return readResponse(response, ctx, timeout, false);
}

/** Not retried: a host that is this slow once is slow again (fast.ai's download_images does not retry). */
function timedOut(ctx: Context): Failure {
  return {
    ok: false,
    reason: 'timeout',
    detail: `no complete answer within ${ctx.settings.timeoutMs / 1000} s`,
  };
}

async function readResponse(
  response: Response,
  ctx: Context,
  timeout: AbortSignal,
  viaRelay: boolean,
): Promise<Downloaded | Retry> {
  if (!response.ok) {
    const failure = httpFailure(response.status, response.statusText);
    void response.body?.cancel().catch(() => undefined);
    return response.status >= 500 || response.status === 429 ? { retry: failure } : failure;
  }
  const body = await readCapped(response, ctx.settings.maxBytes);
  if (ctx.cancel.aborted) throw new Cancelled();
  if (timeout.aborted) return timedOut(ctx);
  return body instanceof Uint8Array ? { ok: true, bytes: body, viaRelay } : body;
}

async function throughRelay(url: string, ctx: Context): Promise<Downloaded | Retry | null> {
  if (!ctx.settings.relay || ctx.relayAvailable === false) return null;
  // The relay's own fetch has the same time limit; a little more for the hop to it.
  return withAwakeTimeout(ctx.settings.timeoutMs + 2000, (timeout) => relayWithin(url, ctx, timeout));
}

async function relayWithin(
  url: string,
  ctx: Context,
  timeout: AbortSignal,
): Promise<Downloaded | Retry | null> {
  const signal = AbortSignal.any([ctx.cancel, timeout]);
  const query = new URLSearchParams({ url, max: String(ctx.settings.maxBytes) });
  let response: Response;
  try {
    response = await fetch(`${RELAY_PATH}?${query}`, { credentials: 'omit', signal });
  } catch {
    if (ctx.cancel.aborted) throw new Cancelled();
    if (timeout.aborted) return timedOut(ctx);
    return null;
  }
  ctx.relayAvailable = response.headers.get(RELAY_HEADER) !== null;
  if (!ctx.relayAvailable) {
    void response.body?.cancel().catch(() => undefined);
    return null; // a static host: no relay here
  }
  if (!response.ok) return relayFailure((await response.json()) as RelayFailure);
  return readResponse(response, ctx, timeout, true);
}

const CORS_REFUSED: Failure = {
  ok: false,
  reason: 'cors',
  detail: 'the server does not allow browsers to read this image (CORS)',
};

export function createDownloader(settings: DownloadSettings, cancel: AbortSignal) {
  const ctx: Context = { settings, cancel, relayAvailable: null };
  return async function download(url: string): Promise<Downloaded> {
    const checked = checkUrl(url);
    if (!checked.ok) return { ok: false, reason: 'invalid-url', detail: checked.reason };
    const target = settings.corsProxy ? settings.corsProxy + url : url;
    let useRelay = false;
    for (let i = 0; ; i++) {
      let result = useRelay ? await throughRelay(url, ctx) : await attempt(target, ctx);
      if (result === 'cors') {
        useRelay = true;
        result = (await throughRelay(url, ctx)) ?? CORS_REFUSED;
      } else if (result === null) result = CORS_REFUSED;
      if (!('retry' in result)) return result;
      if (i >= settings.retries) {
        const tries = settings.retries + 1;
        return {
          ...result.retry,
          detail: `${result.retry.detail} after ${tries} tr${tries > 1 ? 'ies' : 'y'}`,
        };
      }
      await sleep(500 * 2 ** i, cancel);
    }
  };
}
