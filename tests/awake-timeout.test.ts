// The downloader's timeout counts awake time only: a stalled thread does not turn a host that
// answered in time into a "timeout", and a host that never answers still times out.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { awakeTimeout, withAwakeTimeout } from '../src/worker/ingest/awake-timeout';

describe('awakeTimeout', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('fires after the given awake time', () => {
    const t = awakeTimeout(1000, () => Date.now());
    vi.advanceTimersByTime(900);
    expect(t.signal.aborted).toBe(false);
    vi.advanceTimersByTime(200);
    expect(t.signal.aborted).toBe(true);
    expect((t.signal.reason as DOMException).name).toBe('TimeoutError');
  });

  it('counts a stall of the thread as one short step, not its length', () => {
    let clock = 0;
    const t = awakeTimeout(2000, () => clock);
    // The thread is busy for 5 s (a training pass): when the tick finally runs, 5 s have passed.
    clock += 5000;
    vi.advanceTimersByTime(100);
    expect(t.signal.aborted).toBe(false);
    // Awake again: the remaining time is counted tick by tick.
    for (let i = 0; i < 15; i++) {
      clock += 100;
      vi.advanceTimersByTime(100);
    }
    expect(t.signal.aborted).toBe(false);
    for (let i = 0; i < 3; i++) {
      clock += 100;
      vi.advanceTimersByTime(100);
    }
    expect(t.signal.aborted).toBe(true);
  });

  it('stops ticking once cleared', () => {
    const t = awakeTimeout(500, () => Date.now());
    t.clear();
    vi.advanceTimersByTime(2000);
    expect(t.signal.aborted).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('withAwakeTimeout hands its work the signal and stops ticking when the work settles', async () => {
    let seen: AbortSignal | undefined;
    await expect(
      withAwakeTimeout(1000, async (signal) => {
        seen = signal;
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    expect(seen?.aborted).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
    expect(await withAwakeTimeout(1000, async () => 7)).toBe(7);
    expect(vi.getTimerCount()).toBe(0);
  });
});
