// Turns low-level failures into messages a person can act on.

export function humanMessage(error: unknown): string {
  const raw = error instanceof Error ? error.message : String(error);
  if (
    /out of memory|OOM|failed to allocate|Array buffer allocation failed|memory access out of bounds/i.test(
      raw,
    )
  ) {
    return `The device ran out of memory (${raw}). Try a smaller image size or batch size.`;
  }
  if (/device (was )?lost|GPUDevice|context lost/i.test(raw)) {
    return `The GPU device was lost (${raw}). Reload the page to start again; your data is kept.`;
  }
  return raw || 'Unknown error';
}

export class UserFacingError extends Error {}
