// A request to the app's worker, timed, with the browser's peak resident memory sampled while it
// runs; long jobs log their progress once a minute and every epoch as it ends.
import { chromiumMegabytes, request } from './lib.mjs';

const epochLine = (label, row) =>
  `  ${label} epoch ${row.epoch}: train_loss ${row.trainLoss.toFixed(4)} valid_loss ${row.validLoss.toFixed(4)} ` +
  `error_rate ${row.errorRate.toFixed(4)} ${row.seconds.toFixed(0)} s`;

/** Logs the worker's progress once a minute, and each epoch as soon as it ends (long runs). */
function watchProgress(page, label, memory) {
  let seen = null;
  let ticks = 0;
  const sampler = setInterval(() => (memory.peak = Math.max(memory.peak, chromiumMegabytes())), 2000);
  const tick = async () => {
    const snapshot = await page
      .evaluate(() => {
        const { train, epochs } = window.__studio.getSnapshot();
        return { train, epochs };
      })
      .catch(() => null);
    if (!snapshot) return;
    seen ??= snapshot.epochs.length;
    for (const row of snapshot.epochs.slice(seen)) console.log(epochLine(label, row));
    seen = snapshot.epochs.length;
    // A job that adapted (memory: fewer images per pass) says so: a run that did is not comparable.
    const notice = snapshot.train?.notice;
    if (notice && !memory.notices.includes(notice)) {
      memory.notices.push(notice);
      console.log(`  ${label}: NOTICE ${notice}`);
    }
    if (++ticks % 4 === 0 && snapshot.train) {
      const { phase, done, total, loss } = snapshot.train;
      const lossText = loss === undefined ? '' : ` loss ${loss.toFixed(3)}`;
      console.log(
        `  ${label}: ${phase} ${done}/${total}${lossText}, browser ${memory.peak.toFixed(0)} MB at most`,
      );
    }
  };
  const timer = setInterval(tick, 15_000);
  void tick();
  return async () => {
    clearInterval(timer);
    clearInterval(sampler);
    ticks = 1; // no progress line on the final flush
    await tick();
  };
}

export async function timed(page, label, name, args) {
  const memory = { peak: chromiumMegabytes(), notices: [] };
  const stop = watchProgress(page, label, memory);
  const t0 = Date.now();
  try {
    const result = await request(page, name, args);
    memory.peak = Math.max(memory.peak, chromiumMegabytes());
    return { result, seconds: (Date.now() - t0) / 1000, peakMB: memory.peak, notices: memory.notices };
  } finally {
    await stop();
  }
}
