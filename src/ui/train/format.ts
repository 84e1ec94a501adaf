/** fast.ai prints epoch times as mm:ss. */
export function mmss(seconds: number): string {
  const s = Math.round(seconds);
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

/** A progress line's numbers: the parts present, one separator between them ("12/40 · 00:07 left"). */
export function progressText(...parts: (string | false | null | undefined)[]): string {
  return parts.filter(Boolean).join(' · ');
}

export function eta(startedAt: number, done: number, total: number): string {
  if (!done || done >= total) return '';
  return `${mmss(((Date.now() - startedAt) / 1000 / done) * (total - done))} left`;
}

/** An error rate or accuracy as a percentage with one decimal: 0.2345 → "23.5 %". */
export function percent(fraction: number): string {
  return `${(fraction * 100).toFixed(1)} %`;
}

/** Losses to 4 decimals. */
export function loss(value: number): string {
  return Number.isFinite(value) ? value.toFixed(4) : String(value);
}

/** Learning rates as 3e-3, 1.5e-4. */
export function rate(value: number): string {
  return value.toExponential(1).replace('.0e', 'e').replace('e+', 'e');
}
