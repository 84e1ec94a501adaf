/** fast.ai prints epoch times as mm:ss. */
export function mmss(seconds: number): string {
  const s = Math.round(seconds);
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

export function eta(startedAt: number, done: number, total: number): string {
  if (!done || done >= total) return '';
  return `${mmss(((Date.now() - startedAt) / 1000 / done) * (total - done))} left`;
}
