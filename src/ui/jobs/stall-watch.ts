// The running training job's heartbeat. Multi-threaded wasm hangs, rather than failing, when its
// 4 GB heap runs out, and a worker can crash mid-pass: either way what the job was computing (its
// pass shape) is what the out-of-memory policy needs. Pure: time comes in as an argument.
import type { TrainProgress } from '../../protocol';

export interface WatchedJob {
  lastEventAt: number;
  /** Time between the last two progress events: how long one step takes here. */
  stepMs: number;
  pass?: TrainProgress['pass'];
}

export class StallWatch {
  private job: WatchedJob | null = null;

  /**
   * @param stallSeconds a job with no progress for this long (or 10 steps' time, if more) is stuck.
   */
  constructor(private readonly stallSeconds: number) {}

  /** A training request started with this assumed pass shape; the returned function ends the watch. */
  start(pass: TrainProgress['pass'], now: number): () => void {
    const job: WatchedJob = { lastEventAt: now, stepMs: 0, pass };
    this.job = job;
    return () => {
      if (this.job === job) this.job = null;
    };
  }

  /** A progress event of the running job. */
  observe(progress: TrainProgress, now: number): void {
    if (!this.job) return;
    if (progress.done > 0) this.job.stepMs = now - this.job.lastEventAt;
    this.job.lastEventAt = now;
    this.job.pass = progress.pass ?? this.job.pass;
  }

  /** Whether the running job is inside body passes (a crash there is, in practice, the heap). */
  get inPasses(): boolean {
    return !!this.job?.pass;
  }

  /** The running job, if it has been idle too long: seconds idle. */
  stalledFor(now: number): number | null {
    if (!this.job) return null;
    const idleMs = now - this.job.lastEventAt;
    return idleMs < Math.max(this.stallSeconds * 1000, 10 * this.job.stepMs) ? null : idleMs / 1000;
  }

  /** Stops watching (the job failed or the engine restarts); returns what it was computing. */
  take(): WatchedJob | null {
    const job = this.job;
    this.job = null;
    return job;
  }
}
