// Turns low-level failures into messages a person can act on.

import { isOutOfMemory } from '../ml/batching';

const DEVICE_LOST = /device (was )?lost|GPUDevice|context lost/i;

export function humanMessage(error: unknown): string {
  if (error instanceof EngineFailure) return error.message;
  const raw = error instanceof Error ? error.message : String(error);
  if (isOutOfMemory(error)) {
    return `The device ran out of memory (${raw}). Try a smaller image size or batch size.`;
  }
  if (DEVICE_LOST.test(raw)) {
    return `The GPU device was lost (${raw}). Restart the engine; your data and checkpoints are kept.`;
  }
  return raw || 'Unknown error';
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

export class UserFacingError extends Error {}
