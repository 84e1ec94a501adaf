// bench:train's options: the defaults (the Train tab's default recipe), a --recipe preset from
// src/ml/recipes.json, then the flags given, which win.
import { readFileSync } from 'node:fs';
import { parseArgs } from './lib.mjs';

export function trainOptions(argv) {
  const recipes = JSON.parse(readFileSync(new URL('../src/ml/recipes.json', import.meta.url), 'utf8'));
  const given = parseArgs(argv, {});
  const preset = given.recipe ? recipes[given.recipe] : null;
  if (given.recipe && !preset) {
    console.error(`unknown recipe ${given.recipe}: one of ${Object.keys(recipes).join(', ')}`);
    process.exit(2);
  }
  const fromPreset = preset
    ? {
        size: String(preset.size),
        variants: String(preset.variants),
        epochs1: String(preset.frozenEpochs),
        epochs2: String(preset.unfrozenEpochs),
        lr1: preset.frozenLr,
        'faithful-epochs': String(preset.bodyEpochs),
        'faithful-lr': preset.bodyLr,
        lr2: preset.unfrozenLr,
        'label-smoothing': String(preset.labelSmoothing),
        mixup: String(preset.mixup),
        tta: String(preset.tta),
        // A recipe without an unfrozen stage never unfreezes, so it has no learning rate to find.
        'lr-find': String(preset.unfrozenEpochs > 0),
      }
    : {};
  const options = parseArgs(argv, {
    size: '128',
    epochs1: '4',
    epochs2: '2',
    backend: 'wasm',
    frozen: 'fast',
    batch: '16',
    lr1: '3e-3',
    lr2: 'slice(1e-5,1e-3)',
    'lr-find': 'true',
    parallel: '8',
    'max-size': '500',
    'max-per-class': '300',
    port: '5291',
    seeds: '42',
    bn: 'whole-batch',
    'body-stats': 'data',
    'feature-stats': 'running',
    // The Train tab's default (src/protocol/train.ts, epochStatistics).
    'epoch-stats': 'plain',
    // The default recipe's augmented copies (src/ml/recipes.json), as the Train tab starts with.
    variants: String(recipes.fastai.variants),
    // The default recipe's epochs through the body at the end of the fast frozen stage (the Train tab's).
    'faithful-epochs': String(recipes.fastai.bodyEpochs),
    'faithful-lr': recipes.fastai.bodyLr,
    'label-smoothing': '0',
    mixup: '0',
    tta: 'false',
    recipe: '',
    // 0: the app's default for the backend and size (src/ml/batching.ts).
    'images-per-pass': '0',
    // '': a private (off-the-record) context, as the tests run; a folder: a normal profile kept there.
    'user-data-dir': '',
    ...fromPreset,
  });
  return { options };
}
