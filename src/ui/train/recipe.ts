// fast.ai's lesson-1 recipe as data: its steps, their defaults, what each needs first, and each
// step's state for the current model. Shared by the Train tab (the steps) and Interpret (retrain).
import type { ModelSummary } from '../../protocol';
import recipes from '../../ml/recipes.json' with { type: 'json' };

/** A recipe the Train tab offers (src/ml/recipes.json, which bench:train --recipe reads too). */
export interface RecipePreset {
  label: string;
  description: string;
  size: number;
  /** Augmented copies the fast frozen stage computes body features for. */
  variants: number;
  frozenEpochs: number;
  frozenLr: string;
  /**
   * Where the frozen stage trains the head on cached body features (the fast frozen mode), the
   * epochs it ends with through the body (head and BatchNorm on fresh augmentations, fast.ai's frozen
   * stage as it trains) at `bodyLr`: the head then meets the body's batch statistics, as it will once
   * unfrozen (bench:train, README). None in the faithful mode, which trains so throughout.
   */
  bodyEpochs: number;
  bodyLr: string;
  unfrozenEpochs: number;
  unfrozenLr: string;
  labelSmoothing: number;
  /** Mixup's α (0: off). */
  mixup: number;
  /** After the last fit, the validation error with test-time augmentation too. */
  tta: boolean;
}
export type RecipeId = keyof typeof recipes;
export const RECIPES: Record<RecipeId, RecipePreset> = recipes;
export const RECIPE_IDS = Object.keys(recipes) as RecipeId[];

/** fast.ai's lesson 1, the default, and the names its checkpoints are saved under. */
export const RECIPE = {
  stage1: 'stage-1',
  stage2: 'stage-2',
  frozenEpochs: recipes.fastai.frozenEpochs,
  frozenLr: recipes.fastai.frozenLr,
  bodyEpochs: recipes.fastai.bodyEpochs,
  bodyLr: recipes.fastai.bodyLr,
  unfrozenEpochs: recipes.fastai.unfrozenEpochs,
  unfrozenLr: recipes.fastai.unfrozenLr,
} as const;

export const STEPS = ['fit1', 'save1', 'unfreeze', 'lrfind', 'fit2', 'save2'] as const;
export type StepId = (typeof STEPS)[number];

export const STEP_TITLES: Record<StepId, string> = {
  fit1: 'Fit the head (body frozen)',
  save1: `Save as ${RECIPE.stage1}`,
  unfreeze: 'Unfreeze the body',
  lrfind: 'Find a learning rate',
  fit2: 'Fit the whole network',
  save2: `Save as ${RECIPE.stage2}`,
};

/** What must be done before each step (the recipe's order). */
const NEEDS: Record<StepId, StepId[]> = {
  fit1: [],
  save1: ['fit1'],
  unfreeze: ['fit1'],
  lrfind: ['unfreeze'],
  fit2: ['unfreeze'],
  save2: ['fit2'],
};

export type StepState = 'done' | 'next' | 'running' | 'todo';

function isDone(step: StepId, model: ModelSummary | null): boolean {
  if (!model) return false;
  const frozenRows = model.history.some((r) => r.stage === 'frozen');
  const unfrozenRows = model.history.some((r) => r.stage === 'unfrozen');
  switch (step) {
    case 'fit1':
      return frozenRows || model.stage === 'unfrozen';
    case 'save1':
      return model.saves.includes(RECIPE.stage1);
    case 'unfreeze':
      return model.stage === 'unfrozen';
    case 'lrfind':
      return model.lrFind?.stage === 'unfrozen';
    case 'fit2':
      return unfrozenRows;
    case 'save2':
      return model.saves.includes(RECIPE.stage2) && model.savedAs === RECIPE.stage2;
  }
}

export function stepStates(model: ModelSummary | null, running: StepId | null): Record<StepId, StepState> {
  const states = {} as Record<StepId, StepState>;
  let nextGiven = false;
  for (const step of STEPS) {
    if (step === running) states[step] = 'running';
    else if (isDone(step, model)) states[step] = 'done';
    else if (!nextGiven && NEEDS[step].every((n) => isDone(n, model))) {
      states[step] = 'next';
      nextGiven = true;
    } else states[step] = 'todo';
  }
  return states;
}

/** Why `step` cannot run yet, naming what comes first; null when it can. */
export function whatComesFirst(step: StepId, model: ModelSummary | null): string | null {
  const missing = NEEDS[step].filter((n) => !isDone(n, model));
  if (!missing.length) return null;
  const first = missing[0];
  return `First step ${STEPS.indexOf(first) + 1}: ${STEP_TITLES[first]}. “${STEP_TITLES[step]}” comes after it.`;
}

/** The epochs-through-the-body input as a count: a whole number ≥ 0, or a readable error. */
export function parseBodyEpochs(text: string | null): number {
  if (text === null) return 0;
  const n = Number(text.trim());
  if (!Number.isInteger(n) || n < 0 || text.trim() === '')
    throw new Error('Epochs through the body must be a whole number ≥ 0.');
  return n;
}

/**
 * Whether a model's frozen stage still lacks its epochs through the body: its last epoch was on cached
 * features (a reload interrupted step 1, or it ran with none) and it has not been unfrozen since.
 */
export function bodyEpochsPending(model: ModelSummary | null): boolean {
  const last = model?.history.at(-1);
  return model?.stage === 'frozen' && last?.stage === 'frozen' && last.run?.frozenMode === 'fast';
}

/** Whether step 1 offers its epochs through the body on their own: pending, and the input asks for some. */
export function bodyOnlyOffered(model: ModelSummary | null, text: string | null): boolean {
  if (!bodyEpochsPending(model)) return false;
  try {
    return parseBodyEpochs(text) > 0;
  } catch {
    return false; // a value step 1 would refuse: nothing to offer until it is fixed
  }
}
