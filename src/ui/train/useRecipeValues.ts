// The recipe's step values as the user edits them (epochs, rates, epochs through the body), and the
// choice of recipe, which sets them all — and the model settings the recipe names (image size,
// augmented copies, label smoothing, mixup) — at once.
import { useState } from 'react';
import { labelSmoothing, mixupAlpha, type TrainConfig } from '../../protocol';
import { RECIPE, RECIPES, type RecipeId } from './recipe';

export function useRecipeValues(config: TrainConfig, changeConfig: (patch: Partial<TrainConfig>) => void) {
  const [recipeId, setRecipeId] = useState<RecipeId>('fastai');
  const [epochs1, setEpochs1] = useState(String(RECIPE.frozenEpochs));
  const [lr1, setLr1] = useState<string>(RECIPE.frozenLr);
  const [bodyEpochs, setBodyEpochs] = useState(String(RECIPE.bodyEpochs));
  const [epochs2, setEpochs2] = useState(String(RECIPE.unfrozenEpochs));
  const [lr2, setLr2] = useState<string>(RECIPE.unfrozenLr);

  const chooseRecipe = (id: RecipeId) => {
    const r = RECIPES[id];
    setRecipeId(id);
    setEpochs1(String(r.frozenEpochs));
    setLr1(r.frozenLr);
    setBodyEpochs(String(r.bodyEpochs));
    setEpochs2(String(r.unfrozenEpochs));
    setLr2(r.unfrozenLr);
    if (
      config.size !== r.size ||
      config.variants !== r.variants ||
      labelSmoothing(config) !== r.labelSmoothing ||
      mixupAlpha(config) !== r.mixup
    )
      changeConfig({ size: r.size, variants: r.variants, labelSmoothing: r.labelSmoothing, mixup: r.mixup });
  };

  return {
    recipeId,
    recipe: RECIPES[recipeId],
    chooseRecipe,
    epochs1,
    setEpochs1,
    lr1,
    setLr1,
    bodyEpochs,
    setBodyEpochs,
    epochs2,
    setEpochs2,
    lr2,
    setLr2,
  };
}
