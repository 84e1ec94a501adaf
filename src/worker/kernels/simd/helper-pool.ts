// The engine's helper threads: workers that instantiate the same kernels over the same shared memory
// and run their share of each dispatch, synchronised with Atomics on a shared control block.
// tfjs-wasm's own thread pool is private to its module, so we bring our own.
import {
  CONTROL,
  MAX_CALLS,
  callCountIndex,
  controlInts,
  doneIndex,
  readyIndex,
  writeCall,
  type EngineCall,
  type HelperInit,
  type ModuleOnMemory,
} from './control-block';

/** How long the ML worker waits for the helpers before it gives up on them (a helper died). */
const HELPER_TIMEOUT_MS = 20_000;

interface Helper {
  worker: Worker;
  /** Its call list and flags in the control block (fixed for the helper's life). */
  slot: number;
  /** False once dropped (it failed or stopped answering). */
  alive: boolean;
}

/** Atomics.wait, or a spin where blocking is not allowed (a page's main thread: benchmarks only). */
function waitForChange(control: Int32Array, index: number, value: number, ms: number): string {
  try {
    return Atomics.wait(control, index, value, ms);
  } catch {
    const until = performance.now() + ms;
    while (Atomics.load(control, index) === value) if (performance.now() > until) return 'timed-out';
    return 'ok';
  }
}

export class HelperPool {
  private readonly control: Int32Array;
  private readonly helpers: Helper[] = [];

  /**
   * Starts `count` helpers on `kernels` (and the BatchNorm kernels on tfjs's heap where given);
   * each joins once it has compiled them.
   */
  constructor(count: number, spawn: () => Worker, kernels: ModuleOnMemory, heap: ModuleOnMemory | null) {
    this.control = new Int32Array(new SharedArrayBuffer(controlInts(count) * 4));
    for (let index = 0; index < count; index++) {
      const helper: Helper = { worker: spawn(), slot: index, alive: true };
      this.helpers.push(helper);
      helper.worker.onerror = (event) => {
        console.warn(`convolution helper ${index} failed: ${event.message}`);
        this.drop(helper);
      };
      const init: HelperInit = { ...kernels, control: this.control, index, heap };
      helper.worker.postMessage(init);
    }
  }

  /** Helpers that take part in a dispatch right now. */
  ready(): number {
    return this.readyHelpers().length;
  }

  private readyHelpers(): Helper[] {
    const control = this.control;
    return this.helpers.filter((h) => h.alive && Atomics.load(control, readyIndex(h.slot)) === 1);
  }

  private drop(helper: Helper): void {
    // Slots stay as they are: a dropped helper just never takes part again.
    helper.alive = false;
    helper.worker.terminate();
  }

  /** Frees the helper workers. */
  dispose(): void {
    for (const helper of this.helpers) this.drop(helper);
  }

  /**
   * Runs shares[0] on the calling thread (through `own`) and shares[k] on the k-th ready helper, and
   * returns once all are done. False (nothing run) where there are more shares than ready helpers.
   * Shares longer than the control block's MAX_CALLS run in rounds of at most that many calls each
   * (every thread's calls still in their order).
   */
  dispatch(shares: EngineCall[][], own: (call: EngineCall) => void): boolean {
    const ready = this.readyHelpers();
    if (shares.length - 1 > ready.length) return false;
    const slots = ready.slice(0, shares.length - 1).map((h) => h.slot);
    const longest = Math.max(...shares.map((s) => s.length));
    for (let from = 0; from < longest; from += MAX_CALLS)
      this.round(
        shares.map((s) => s.slice(from, from + MAX_CALLS)),
        slots,
        own,
      );
    return true;
  }

  /** One round: at most MAX_CALLS calls per share, the helpers' written to their slots. */
  private round(shares: EngineCall[][], slots: number[], own: (call: EngineCall) => void): void {
    const control = this.control;
    this.helpers.forEach((h) => Atomics.store(control, callCountIndex(h.slot), 0));
    slots.forEach((slot, k) => {
      shares[k + 1].forEach((call, i) => writeCall(control, slot, i, call));
      Atomics.store(control, callCountIndex(slot), shares[k + 1].length);
    });
    Atomics.store(control, CONTROL.failed, 0);
    const generation = Atomics.add(control, CONTROL.generation, 1) + 1;
    Atomics.notify(control, CONTROL.generation);
    for (const call of shares[0]) own(call);
    this.await(slots, generation);
  }

  private await(slots: number[], generation: number): void {
    const control = this.control;
    const deadline = performance.now() + HELPER_TIMEOUT_MS;
    for (const slot of slots) {
      for (;;) {
        const done = Atomics.load(control, doneIndex(slot));
        if (done === generation) break;
        const left = deadline - performance.now();
        if (left <= 0 || waitForChange(control, doneIndex(slot), done, left) === 'timed-out') {
          // A helper that never answers would leave a result half computed: drop them all, say so.
          this.dispose();
          throw new Error('convolution helper threads stopped responding');
        }
      }
    }
    if (Atomics.load(control, CONTROL.failed)) {
      this.dispose();
      throw new Error('a convolution helper thread failed');
    }
  }
}
