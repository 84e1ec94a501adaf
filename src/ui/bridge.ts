// The one owner of the ML worker. React talks to the worker only through this class.
import {
  isWorkerEvent,
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
  /** Per-batch training loss, for the live chart. */
  batchLosses: { iteration: number; loss: number }[];
  /** Bumped whenever the worker changed the stored dataset. */
  datasetVersion: number;
}

export class WorkerBridge {
  private readonly worker: Worker;
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
  };

  constructor(worker: Worker) {
    this.worker = worker;
    worker.addEventListener('message', (event: MessageEvent<unknown>) => {
      if (isWorkerEvent(event.data)) this.receive(event.data);
    });
    worker.addEventListener('error', (event) => {
      this.update({ fatal: `The ML worker crashed: ${event.message || 'unknown error'}` });
      this.rejectAll('The ML worker crashed.');
    });
  }

  static create(): WorkerBridge {
    return new WorkerBridge(
      new Worker(new URL('../worker/worker.ts', import.meta.url), { type: 'module', name: 'ml-worker' }),
    );
  }

  init(options: InitOptions): void {
    this.send({ type: 'init', options });
  }

  request<K extends RequestName>(
    name: K,
    args: RequestArgs<K>,
    transfer: Transferable[] = [],
  ): Promise<RequestResult<K>> {
    const id = this.nextId++;
    return new Promise<RequestResult<K>>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.send({ type: 'request', id, name, args } as Command, transfer);
    });
  }

  /** For useSyncExternalStore. */
  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): BridgeSnapshot => this.snapshot;

  /** The epoch table after a checkpoint load (its history replaces what this page saw). */
  setHistory(epochs: EpochRow[]): void {
    this.update({ epochs, batchLosses: [] });
  }

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
        this.settle(event.id)?.reject(new Error(event.message));
        break;
      case 'fatal':
        this.update({ fatal: event.message });
        break;
      case 'ingest':
        this.update({ ingest: event.progress });
        break;
      case 'train': {
        const { progress } = event;
        const batchLosses =
          progress.phase === 'fit' && progress.loss !== undefined
            ? [
                ...this.snapshot.batchLosses,
                { iteration: this.snapshot.batchLosses.length, loss: progress.loss },
              ]
            : this.snapshot.batchLosses;
        this.update({ train: progress, batchLosses });
        break;
      }
      case 'dataset':
        this.update({ datasetVersion: this.snapshot.datasetVersion + 1 });
        break;
      case 'epoch':
        this.update({ epochs: [...this.snapshot.epochs, event.row] });
        break;
    }
  }

  private settle(id: number): Pending | undefined {
    const pending = this.pending.get(id);
    this.pending.delete(id);
    return pending;
  }

  private rejectAll(message: string): void {
    for (const pending of this.pending.values()) pending.reject(new Error(message));
    this.pending.clear();
  }

  private update(patch: Partial<BridgeSnapshot>): void {
    this.snapshot = { ...this.snapshot, ...patch };
    for (const listener of this.listeners) listener();
  }
}
