// The one owner of the ML worker. React talks to the worker only through this class.
import {
  isWorkerEvent,
  traitsOf,
  StudioError,
  type ModelSummary,
  type DeviceInfo,
  type IngestProgress,
  type EpochRow,
  type TrainProgress,
  type InitOptions,
  type ModelState,
  type RequestArgs,
  type RequestName,
  type RequestResult,
  type WorkerEvent,
  type Command,
} from '../protocol';
import { rememberOutOfMemory } from '../policy/memory-limits';
import { RateBook } from './jobs/rates';
import { StallWatch, type WatchedJob } from './jobs/stall-watch';
import { afterProgress, pointsForModel } from './jobs/progress';

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

export interface BridgeSnapshot {
  device: DeviceInfo | null;
  model: ModelState;
  fatal: string | null;
  ingest: IngestProgress | null;
  train: TrainProgress | null;
  epochs: EpochRow[];
  /** The current model's training loss per batch this session, at its place on the epoch axis (live chart). */
  batchLosses: { epoch: number; loss: number }[];
  /** Bumped whenever the worker changed the stored dataset. */
  datasetVersion: number;
  /** Bumped on every engine restart: views keyed by it start fresh. */
  engine: number;
  /** The last adaptation the worker reported (e.g. fewer images per pass after running out of memory). */
  notice: string | null;
  /** The model the worker holds (null before one is prepared or loaded). */
  learner: ModelSummary | null;
  /** The long request running now (see REQUESTS' `job`), for the header's job indicator. */
  job: ActiveJob | null;
  /** The LR finder's sweep so far (drawn live while it runs). */
  lrSweep: { lr: number; loss: number }[];
}

export interface ActiveJob {
  /** The request's id: the job ends with its reply. */
  id: number;
  name: RequestName;
  label: string;
  startedAt: number;
  /** The job's main progress (fit or lr_find), for its overall ETA while other phases run. */
  main: TrainProgress | null;
}

export class WorkerBridge {
  private worker: Worker;
  /** Set while a failed training job's message is being written (see endFailedJob). */
  private endingJob = false;
  private initOptions: InitOptions | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Set<() => void>();
  private snapshot: BridgeSnapshot = {
    device: null,
    model: { kind: 'idle' },
    fatal: null,
    ingest: null,
    train: null,
    epochs: [],
    batchLosses: [],
    datasetVersion: 0,
    engine: 0,
    notice: null,
    learner: null,
    job: null,
    lrSweep: [],
  };

  private readonly watch: StallWatch;
  /** Measured seconds per image of each training phase on this device (estimates, ETAs). */
  readonly rates = new RateBook(globalThis.localStorage);

  /**
   * @param stallSeconds a training job with no progress for this long (or 10 steps' time, if more)
   * is declared stuck: multi-threaded wasm hangs, rather than failing, when its 4 GB heap runs out.
   */
  constructor(
    private readonly createWorker: () => Worker,
    stallSeconds = 180,
  ) {
    this.watch = new StallWatch(stallSeconds);
    this.worker = this.attach(createWorker());
    setInterval(() => void this.checkStall(), 2_000);
  }

  static create(stallSeconds?: number): WorkerBridge {
    return new WorkerBridge(
      () =>
        new Worker(new URL('../worker/worker.ts', import.meta.url), { type: 'module', name: 'ml-worker' }),
      stallSeconds,
    );
  }

  private attach(worker: Worker): Worker {
    worker.addEventListener('message', (event: MessageEvent<unknown>) => {
      if (worker === this.worker && isWorkerEvent(event.data)) this.receive(event.data);
    });
    worker.addEventListener('error', (event) => {
      // A dying worker can report several errors: the first one decides the message.
      if (worker !== this.worker || this.endingJob) return;
      // A crash in the middle of training passes is, in practice, the heap running out.
      if (this.watch.inPasses) {
        void this.endFailedJob(this.watch.take()!, 'crashed', '');
        return;
      }
      this.update({ fatal: `The ML worker crashed: ${event.message || 'unknown error'}`, job: null });
      this.rejectAll('The ML worker crashed.');
    });
    return worker;
  }

  init(options: InitOptions): void {
    this.initOptions = options;
    this.send({ type: 'init', options });
  }

  /**
   * A fresh worker after the engine failed (out of memory on wasm, lost GPU device): the data and
   * checkpoints live in IndexedDB, so nothing is lost; views keyed by `engine` start over.
   */
  restart(): void {
    this.watch.take();
    this.worker.terminate();
    this.rejectAll('The engine was restarted.');
    this.worker = this.attach(this.createWorker());
    this.update({
      device: null,
      model: { kind: 'idle' },
      fatal: null,
      train: null,
      epochs: [],
      batchLosses: [],
      notice: null,
      learner: null,
      job: null,
      lrSweep: [],
      engine: this.snapshot.engine + 1,
    });
    if (this.initOptions) this.init(this.initOptions);
  }

  request<K extends RequestName>(
    name: K,
    args: RequestArgs<K>,
    transfer: Transferable[] = [],
  ): Promise<RequestResult<K>> {
    const id = this.nextId++;
    const reply = new Promise<RequestResult<K>>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.send({ type: 'request', id, name, args } as Command, transfer);
    });
    const traits = traitsOf(name);
    // A job asked for while another runs is refused by the worker (JobGate): the running one keeps
    // the header and the stall watch.
    const starts = traits.job !== undefined && !this.snapshot.job;
    if (starts) {
      const active: ActiveJob = { id, name, label: traits.label ?? name, startedAt: Date.now(), main: null };
      this.update({ job: active, train: null, ...(name === 'lrFind' ? { lrSweep: [] } : {}) });
      const end = () => {
        if (this.snapshot.job?.id === id) this.update({ job: null });
      };
      reply.then(end, end);
    }
    if (starts && traits.job === 'train') {
      // Until the first progress event names it, assume the prepared pass shape (a pass that
      // exhausts the heap can crash the worker before any event).
      const model = this.snapshot.learner;
      const pass = model ? { size: model.config.size, imagesPerPass: model.imagesPerPass } : undefined;
      const end = this.watch.start(pass, Date.now());
      reply.then(end, end);
    }
    return reply;
  }

  private async checkStall(): Promise<void> {
    if (this.snapshot.fatal) return;
    const idleSeconds = this.watch.stalledFor(Date.now());
    if (idleSeconds === null) return;
    const wasm = this.snapshot.device?.backend === 'wasm';
    await this.endFailedJob(
      this.watch.take()!,
      `stopped responding for ${Math.round(idleSeconds)} s`,
      wasm ? ' (WebAssembly stalls instead of failing)' : '',
    );
  }

  /**
   * Ends a training job the engine cannot finish (stuck or crashed): most likely out of memory, so
   * the pass size is lowered for next time and the user is offered a restart.
   */
  private async endFailedJob(job: WatchedJob, what: string, detail: string): Promise<void> {
    this.endingJob = true;
    const backend = this.snapshot.device?.backend;
    const lowered =
      job.pass && backend
        ? await rememberOutOfMemory(backend, job.pass.size, job.pass.imagesPerPass).catch(() => null)
        : null;
    const message =
      `The engine ${what} during training: most likely it ran out of memory${detail}. ` +
      `Restart the engine${lowered ? `; it will use ${lowered} images per pass` : ''}. ` +
      'Your data and checkpoints are kept.';
    this.update({ fatal: message, job: null });
    this.rejectAll(message, 'engine');
    this.endingJob = false;
  }

  /** For useSyncExternalStore. */
  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): BridgeSnapshot => this.snapshot;

  terminate(): void {
    this.worker.terminate();
    this.rejectAll('The ML worker was stopped.');
  }

  private send(command: Command, transfer: Transferable[] = []): void {
    this.worker.postMessage(command, transfer);
  }

  private receive(event: WorkerEvent): void {
    switch (event.type) {
      case 'device':
        this.update({ device: event.device });
        break;
      case 'model':
        this.update({ model: event.state });
        break;
      case 'reply':
        this.settle(event.id)?.resolve(event.result);
        break;
      case 'failed':
        this.settle(event.id)?.reject(new StudioError(event.code, event.message));
        break;
      case 'fatal':
        this.update({ fatal: event.message });
        break;
      case 'ingest':
        this.update({ ingest: event.progress });
        break;
      case 'train': {
        const { progress } = event;
        this.watch.observe(progress, Date.now());
        this.rates.observe(progress, this.snapshot.device?.backend, this.snapshot.learner);
        this.update(afterProgress(this.snapshot, progress));
        break;
      }
      case 'learner':
        this.update({
          learner: event.summary,
          epochs: event.summary?.history ?? this.snapshot.epochs,
          batchLosses: pointsForModel(this.snapshot.batchLosses, this.snapshot.learner, event.summary),
        });
        break;
      case 'dataset':
        this.update({ datasetVersion: this.snapshot.datasetVersion + 1 });
        break;
      case 'epoch':
        // With a model summary, its history (sent just before, with the autosave) has the row.
        if (!this.snapshot.learner) this.update({ epochs: [...this.snapshot.epochs, event.row] });
        break;
    }
  }

  private settle(id: number): Pending | undefined {
    const pending = this.pending.get(id);
    this.pending.delete(id);
    return pending;
  }

  private rejectAll(message: string, code: 'engine' | 'failed' = 'failed'): void {
    for (const pending of this.pending.values()) pending.reject(new StudioError(code, message));
    this.pending.clear();
  }

  private update(patch: Partial<BridgeSnapshot>): void {
    this.snapshot = { ...this.snapshot, ...patch };
    for (const listener of this.listeners) listener();
  }
}
