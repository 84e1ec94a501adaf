// A timeout that counts only the time this thread was awake to notice an answer. The downloader
// shares its worker with training and model loading, whose synchronous passes can hold the event
// loop for seconds: a wall-clock timeout (AbortSignal.timeout) then fires the moment the loop is
// free, racing an answer that arrived meanwhile, and a host that answered in time is reported as
// "timeout". Here each tick adds at most MAX_STEP_MS, so a stall of the thread counts as one step;
// a host that never answers still times out after `ms` of awake time.

const TICK_MS = 100;
const MAX_STEP_MS = 250;

export interface AwakeTimeout {
  signal: AbortSignal;
  /** Stops the ticking (call when the request ended). */
  clear(): void;
}

export function awakeTimeout(ms: number, now: () => number = () => performance.now()): AwakeTimeout {
  const controller = new AbortController();
  let counted = 0;
  let last = now();
  const timer = setInterval(() => {
    const t = now();
    counted += Math.min(t - last, MAX_STEP_MS);
    last = t;
    if (counted >= ms) {
      clearInterval(timer);
      controller.abort(new DOMException(`no answer within ${ms} ms`, 'TimeoutError'));
    }
  }, TICK_MS);
  return { signal: controller.signal, clear: () => clearInterval(timer) };
}

/** Runs `work` with an awake timeout's signal and stops the timeout when it settles. */
export async function withAwakeTimeout<T>(ms: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const timeout = awakeTimeout(ms);
  try {
    return await work(timeout.signal);
  } finally {
    timeout.clear();
  }
}
