// The page's side of the list worker (src/worker/ingest/list-worker.ts): one worker, started on the
// first drop, parses lists one message each.
import type { ParseListEvent, PendingList } from '../../protocol';

type Progress = (bytes: number, total: number) => void;

/** Why a list could not be kept, as the worker classified it. */
export class ListError extends Error {
  constructor(
    readonly code: Extract<ParseListEvent, { type: 'failed' }>['code'],
    message: string,
  ) {
    super(message);
  }
}

let worker: Worker | null = null;
let nextId = 1;
const waiting = new Map<
  number,
  { resolve(list: PendingList): void; reject(error: Error): void; progress: Progress }
>();

function listWorker(): Worker {
  if (worker) return worker;
  worker = new Worker(new URL('../../worker/ingest/list-worker.ts', import.meta.url), {
    type: 'module',
    name: 'list-worker',
  });
  worker.addEventListener('message', (event: MessageEvent<ParseListEvent>) => {
    const data = event.data;
    const entry = waiting.get(data.id);
    if (!entry) return;
    if (data.type === 'progress') return entry.progress(data.bytes, data.total);
    waiting.delete(data.id);
    if (data.type === 'done') entry.resolve(data.list);
    else entry.reject(new ListError(data.code, data.message));
  });
  return worker;
}

/** Parses a dropped list off the main thread into a pending job (merged with its class's). */
export function parseList(file: Blob, fileName: string, progress: Progress): Promise<PendingList> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    waiting.set(id, { resolve, reject, progress });
    listWorker().postMessage({ id, file, fileName });
  });
}
