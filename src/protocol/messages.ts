// The messages on the wire: commands in (UI → worker), events out (worker → UI), and their guards.
import type { BackendName, DeviceInfo, ModelState } from './device';
import type { IngestProgress } from './ingest';
import { FAILURE_CODES, type FailureCode, type RequestArgs, type RequestName } from './requests';
import type { EpochRow, ModelSummary, TrainProgress } from './train';

export interface InitOptions {
  /** Forces a backend; otherwise the faster of WebGPU and wasm (timed), then WebGL, then CPU. */
  backend?: BackendName;
  /** Also race a software WebGPU adapter against wasm (tests; normally only real GPUs race). */
  raceSoftwareGpu?: boolean;
  modelUrl: string;
  labelsUrl: string;
}

export type Command =
  | { type: 'init'; options: InitOptions }
  | { [K in RequestName]: { type: 'request'; id: number; name: K; args: RequestArgs<K> } }[RequestName];

export type WorkerEvent =
  | { type: 'device'; device: DeviceInfo }
  | { type: 'model'; state: ModelState }
  | { type: 'reply'; id: number; result: unknown }
  | { type: 'failed'; id: number; code: FailureCode; message: string }
  | { type: 'fatal'; message: string }
  | { type: 'ingest'; progress: IngestProgress }
  | { type: 'train'; progress: TrainProgress }
  | { type: 'epoch'; row: EpochRow }
  /** The model the worker holds changed (null: none yet). */
  | { type: 'learner'; summary: ModelSummary | null }
  /** The stored dataset changed (imports): views re-read it. */
  | { type: 'dataset' };

const EVENT_TYPES: ReadonlySet<string> = new Set([
  'device',
  'model',
  'reply',
  'failed',
  'fatal',
  'ingest',
  'train',
  'epoch',
  'learner',
  'dataset',
]);

/** Accepts only well-formed worker events (messages from elsewhere are ignored). */
export function isWorkerEvent(value: unknown): value is WorkerEvent {
  if (typeof value !== 'object' || value === null) return false;
  const event = value as { type?: unknown; id?: unknown; message?: unknown };
  if (typeof event.type !== 'string' || !EVENT_TYPES.has(event.type)) return false;
  if (event.type === 'reply' || event.type === 'failed') {
    if (typeof event.id !== 'number') return false;
  }
  if (
    event.type === 'failed' &&
    !(FAILURE_CODES as readonly unknown[]).includes((value as { code?: unknown }).code)
  )
    return false;
  if (event.type === 'failed' || event.type === 'fatal') return typeof event.message === 'string';
  return true;
}

export function isCommand(value: unknown): value is Command {
  if (typeof value !== 'object' || value === null) return false;
  const command = value as { type?: unknown; id?: unknown; name?: unknown; options?: unknown };
  if (command.type === 'init') return typeof command.options === 'object' && command.options !== null;
  return command.type === 'request' && typeof command.id === 'number' && typeof command.name === 'string';
}
