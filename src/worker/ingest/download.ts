// Fetching one image URL with a timeout, retries with backoff, and an honest reason on failure.
import type { FailureReason } from '../../data/schema';

export interface DownloadSettings {
  timeoutMs: number;
  retries: number;
  /** Prepended to each URL when set (a CORS proxy the user trusts). */
  corsProxy: string;
}

export type Downloaded =
  { ok: true; bytes: Uint8Array } | { ok: false; reason: FailureReason; detail: string };

export class Cancelled extends Error {}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), reject(new Cancelled())), { once: true });
  });

/**
 * A failed CORS fetch and an unreachable host both surface as "TypeError: Failed to fetch". An
 * opaque (no-cors) request tells them apart: it succeeds when the server answered but did not allow
 * us to read the answer. (This needs COEP `credentialless`, which the app is served with.)
 */
async function reachableWithoutCors(url: string, timeoutMs: number): Promise<boolean> {
  try {
    await fetch(url, { mode: 'no-cors', credentials: 'omit', signal: AbortSignal.timeout(timeoutMs) });
    return true;
  } catch {
    return false;
  }
}

async function attempt(
  url: string,
  settings: DownloadSettings,
  cancel: AbortSignal,
): Promise<Downloaded | 'retry'> {
  const timeout = AbortSignal.timeout(settings.timeoutMs);
  const signal = AbortSignal.any([cancel, timeout]);
  try {
    const response = await fetch(url, { mode: 'cors', credentials: 'omit', signal });
    if (!response.ok) {
      if (response.status >= 500 || response.status === 429) return 'retry';
      return { ok: false, reason: 'http', detail: `HTTP ${response.status}` };
    }
    return { ok: true, bytes: new Uint8Array(await response.arrayBuffer()) };
  } catch (error) {
    if (cancel.aborted) throw new Cancelled();
    if (timeout.aborted)
      return { ok: false, reason: 'timeout', detail: `no answer within ${settings.timeoutMs / 1000} s` };
    if (await reachableWithoutCors(url, settings.timeoutMs)) {
      return {
        ok: false,
        reason: 'cors',
        detail: 'the server does not allow browsers to read this image (CORS)',
      };
    }
    return error instanceof TypeError ? 'retry' : { ok: false, reason: 'network', detail: String(error) };
  }
}

export async function download(
  url: string,
  settings: DownloadSettings,
  cancel: AbortSignal,
): Promise<Downloaded> {
  const target = settings.corsProxy ? settings.corsProxy + url : url;
  for (let i = 0; ; i++) {
    const result = await attempt(target, settings, cancel);
    if (result !== 'retry') return result;
    if (i >= settings.retries)
      return { ok: false, reason: 'network', detail: 'the server could not be reached' };
    await sleep(500 * 2 ** i, cancel);
  }
}
