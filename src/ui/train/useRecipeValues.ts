// The recipe's step values as the user edits them (epochs, rates, epochs through the body), and the
// choice of recipe, which sets them all — and the model settings the recipe names (image size,
// augmented copies, label smoothing, mixup) — at once.
import { useState } from 'react';
import { labelSmoothing, mixupAlpha, type TrainConfig } from '../../protocol';
import { RECIPES, type RecipeId, type RecipePreset } from './recipe';

/** The editable fields of a recipe's steps, as the user types them. */
export interface StepValues {
  frozenEpochs: string;
  frozenLr: string;
  bodyEpochs: string;
  unfrozenEpochs: string;
  unfrozenLr: string;
}

function stepValues(r: RecipePreset): StepValues {
  return {
    frozenEpochs: String(r.frozenEpochs),
    frozenLr: r.frozenLr,
    bodyEpochs: String(r.bodyEpochs),
    unfrozenEpochs: String(r.unfrozenEpochs),
    unfrozenLr: r.unfrozenLr,
  };
}

export function useRecipeValues(config: TrainConfig, changeConfig: (patch: Partial<TrainConfig>) => void) {
  const [recipeId, setRecipeId] = useState<RecipeId>('fastai');
  const [values, setValues] = useState<StepValues>(() => stepValues(RECIPES.fastai));
  const change = (patch: Partial<StepValues>) => setValues((v) => ({ ...v, ...patch }));

  const chooseRecipe = (id: RecipeId) => {
    const r = RECIPES[id];
    setRecipeId(id);
    setValues(stepValues(r));
    if (
      config.size !== r.size ||
      config.variants !== r.variants ||
      labelSmoothing(config) !== r.labelSmoothing ||
      mixupAlpha(config) !== r.mixup
    )
      changeConfig({ size: r.size, variants: r.variants, labelSmoothing: r.labelSmoothing, mixup: r.mixup });
  };

  return { recipeId, recipe: RECIPES[recipeId], chooseRecipe, values, change };
}
