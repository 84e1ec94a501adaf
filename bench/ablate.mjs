// npm run bench:ablate -- <folder with class subfolders> [--size 224] [--seeds 42,43,44]
//   [--variants 4] [--batch 16] [--port 5293] [--ingredients 1,2,6 (indices into the list below)]
// The "best" recipe's ingredients, one at a time, on the real app in headless Chromium: per seed the
// frozen body's features (× augmented variants) and the validation images' TTA views are computed
// once — the recipe itself, timed as a user runs it (fit + TTA) — then every head ingredient
// (more epochs, label smoothing, mixup, …) restarts the head (restartHead: the seed's initial
// weights) and fits on the same cached features, so each row differs from the base by one choice
// and costs seconds. Prints each seed's table and mean ± sd per ingredient; writes JSON.
import { mean, openIngested, parseArgs, pm, printTable, request, saveJson, sd } from './lib.mjs';

const options = parseArgs(process.argv.slice(2), {
  size: '224',
  seeds: '42,43,44',
  variants: '4',
  batch: '16',
  port: '5293',
  parallel: '8',
  'max-size': '500',
  'max-per-class': '300',
  ingredients: '',
});
const folder = options._[0];
if (!folder) {
  console.error('usage: npm run bench:ablate -- <folder with one subfolder per class> [--size 224] …');
  process.exit(2);
}

/** Each ingredient as the settings it changes from the base: the frozen stage at 224 px as fast.ai counts it (4 epochs). */
const BASE = { epochs: 4, maxLr: '3e-3', labelSmoothing: 0, mixup: 0 };
const ALL_INGREDIENTS = [
  { name: 'base: 4 epochs at 3e-3', change: {} },
  { name: '8 epochs', change: { epochs: 8 } },
  { name: '16 epochs', change: { epochs: 16 } },
  { name: 'max lr 1e-2', change: { maxLr: '1e-2' } },
  { name: 'label smoothing 0.1', change: { labelSmoothing: 0.1 } },
  { name: 'mixup 0.4', change: { mixup: 0.4 } },
  { name: 'mixup 0.4, 16 epochs', change: { mixup: 0.4, epochs: 16 } },
  { name: 'label smoothing 0.1, 8 epochs', change: { labelSmoothing: 0.1, epochs: 8 } },
  {
    name: 'label smoothing 0.1, mixup 0.4, 16 epochs',
    change: { labelSmoothing: 0.1, mixup: 0.4, epochs: 16 },
  },
];

// --ingredients 0,1,2: a subset by index (the base, 0, always runs first: the others are paired with it).
const chosen = options.ingredients ? options.ingredients.split(',').map(Number) : null;
const INGREDIENTS = ALL_INGREDIENTS.filter((_, i) => i === 0 || !chosen || chosen.includes(i));
const seeds = options.seeds.split(',').map(Number);
const timed = async (page, name, args) => {
  const t0 = Date.now();
  const result = await request(page, name, args);
  return { result, seconds: (Date.now() - t0) / 1000 };
};

const session = await openIngested(folder, options, 'wasm');
const { page, device } = session;
const runs = [];
try {
  for (const seed of seeds) {
    const config = {
      size: Number(options.size),
      batchSize: Number(options.batch),
      seed,
      frozenMode: 'fast',
      variants: Number(options.variants),
    };
    const info = await request(page, 'trainPrepare', { config });
    console.log(`seed ${seed}: ${info.train} train / ${info.valid} valid, ${info.classes.length} classes`);
    const rows = [];
    for (const [i, ingredient] of INGREDIENTS.entries()) {
      const s = { ...BASE, ...ingredient.change };
      await request(page, 'trainReconfigure', {
        config: { ...config, labelSmoothing: s.labelSmoothing, mixup: s.mixup },
      });
      if (i > 0) await request(page, 'restartHead', {});
      const fit = await timed(page, 'fit', { epochs: s.epochs, maxLr: s.maxLr });
      const tta = await timed(page, 'ttaErrorRate', {});
      const row = {
        ingredient: ingredient.name,
        errorRate: fit.result[fit.result.length - 1].errorRate,
        ttaError: tta.result.errorRate,
        // The first row pays for the features and the TTA views: the whole recipe, as a user runs it.
        seconds: fit.seconds + tta.seconds,
      };
      rows.push(row);
      console.log(
        `  ${row.ingredient}: error ${row.errorRate.toFixed(4)}, with TTA ${row.ttaError.toFixed(4)}, ${row.seconds.toFixed(0)} s`,
      );
    }
    runs.push({ seed, train: info.train, valid: info.valid, rows });
  }
} finally {
  await session.close();
}

const column = (i, key) => runs.map((r) => r.rows[i][key]);
const baseTta = column(0, 'ttaError');
const summary = INGREDIENTS.map((ingredient, i) => {
  const tta = column(i, 'ttaError');
  const gains = tta.map((e, k) => baseTta[k] - e); // paired with the base, seed by seed
  return {
    ingredient: ingredient.name,
    error: pm(column(i, 'errorRate')),
    'with TTA': pm(tta),
    'gain vs base (pts, TTA)':
      i === 0 ? '' : `${(100 * mean(gains)).toFixed(1)} ± ${(100 * sd(gains)).toFixed(1)}`,
    seconds: mean(column(i, 'seconds')).toFixed(0),
  };
});
console.log(
  `\nResNet50 at ${options.size} px, fast frozen stage (${options.variants} augmented variants), ${device.backend}, ` +
    `${runs.length} seed(s) (${seeds.join(', ')}); seconds: the base row is the whole recipe (features, fit, TTA), ` +
    `the others the head's fit and TTA on the cached features\n`,
);
printTable(summary, ['ingredient', 'error', 'with TTA', 'gain vs base (pts, TTA)', 'seconds']);
saveJson('ablate', {
  date: new Date().toISOString(),
  folder: session.root,
  options,
  device,
  base: BASE,
  runs,
  summary,
});
