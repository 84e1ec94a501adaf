// Turns low-level failures into a typed code (for code to act on) and a message a person can act on.
import { StorageError } from '../data/db';
import { Cancelled } from '../ml/cancel';
import { StudioError, type FailureCode } from '../protocol';

const DEVICE_LOST = /device (was )?lost|GPUDevice|context lost/i;

/** Each engine says "out of memory" in its own words (WebGL, WebGPU, wasm's bounds or abort, JS). */
const OUT_OF_MEMORY =
  /out of memory|OOM|failed to allocate|Array buffer allocation failed|memory access out of bounds|Aborted\(/i;

export function isOutOfMemory(error: unknown): boolean {
  return OUT_OF_MEMORY.test(error instanceof Error ? error.message : String(error));
}

export function humanMessage(error: unknown): string {
  if (error instanceof EngineFailure || error instanceof StudioError) return error.message;
  const raw = error instanceof Error ? error.message : String(error);
  if (isOutOfMemory(error)) {
    return `The device ran out of memory (${raw}). Try a smaller image size or batch size.`;
  }
  if (DEVICE_LOST.test(raw)) {
    return `The GPU device was lost (${raw}). Restart the engine; your data and checkpoints are kept.`;
  }
  // Some browser failures carry only a name (an IndexedDB "UnknownError", an aborted transaction).
  const name = error instanceof Error && error.name !== 'Error' ? error.name : '';
  return raw || (name ? `${name} (the browser gave no details)` : 'An error the browser gave no details of');
}

/**
 * An image the decoder could not read, named with the browser's reason. `stored`: the stored image
 * (its id and URL), or null for a file the person handed in (Predict). NotReadableError: the browser
 * would not hand the bytes back — it holds image data in memory up to a limit, and a private window
 * (nothing spilled to disk) reaches it at about 2 GB; anything else: the bytes do not decode.
 * Out-of-memory and cancels pass through.
 */
export function unreadableImage(error: unknown, stored: { id: number; url?: string } | null): unknown {
  if (error instanceof StudioError || error instanceof Cancelled || isOutOfMemory(error)) return error;
  const name = error instanceof Error ? error.name : '';
  const said =
    error instanceof Error ? `${name}: ${error.message.replace(/\.$/, '') || 'no details'}` : String(error);
  if (stored === null)
    return new StudioError(
      'invalid-input',
      `This file is not an image the browser can decode, or it is corrupt (${said}).`,
    );
  const image = `The stored image ${stored.url ?? `#${stored.id}`}`;
  if (name === 'NotReadableError')
    return new StudioError(
      'invalid-input',
      `${image} could not be read back (${said}): the browser holds image data in memory only up to a ` +
        'limit, about 2 GB in a private window. Use a normal window, or fewer or smaller images.',
    );
  return new StudioError(
    'invalid-input',
    `${image} could not be decoded (${said}). It shows as a broken picture in the Data tab's show_batch: delete it there, then train again.`,
  );
}

/** A failure's raw form for a developer's console: its type, message and stack, whatever was thrown. */
export function rawFailure(error: unknown): string {
  if (!(error instanceof Error)) return `${typeof error}: ${String(error)}`;
  const head = `${error.name}: ${error.message || '(empty message)'}`;
  return error.stack ? `${head}\n${error.stack}` : head;
}

/** The code a failure crosses the protocol with (see FAILURE_CODES). */
export function failureCodeOf(error: unknown): FailureCode {
  if (error instanceof StudioError) return error.code;
  if (error instanceof Cancelled) return 'cancelled';
  if (error instanceof EngineFailure) return 'engine';
  if (error instanceof StorageError) return error.full ? 'storage-full' : 'failed';
  if (isOutOfMemory(error)) return 'out-of-memory';
  const raw = error instanceof Error ? error.message : String(error);
  return DEVICE_LOST.test(raw) ? 'engine' : 'failed';
}

/**
 * A failure after which this worker's engine cannot be trusted (wasm aborts when its heap is
 * exhausted; a lost GPU device loses every tensor): the UI must restart the worker.
 */
export class EngineFailure extends Error {}

export function isEngineFailure(error: unknown, backend: string): boolean {
  if (error instanceof EngineFailure) return true;
  const raw = error instanceof Error ? error.message : String(error);
  return DEVICE_LOST.test(raw) || (backend === 'wasm' && isOutOfMemory(error));
}
