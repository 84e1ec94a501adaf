// Which recipe the steps below run: fast.ai's lesson 1 (the default, kept faithful) or the one that
// measured the most accuracy per CPU minute. Choosing one fills in its settings; each stays editable.
import { RECIPE_IDS, RECIPES, type RecipeId } from './recipe';

export function RecipeChoice({
  value,
  disabled,
  onChange,
}: {
  value: RecipeId;
  disabled: boolean;
  onChange(id: RecipeId): void;
}) {
  return (
    <div className="row recipe-choice">
      <label>
        Recipe{' '}
        <select
          value={value}
          disabled={disabled}
          onChange={(e) => onChange(e.target.value as RecipeId)}
          data-testid="recipe-choice"
        >
          {RECIPE_IDS.map((id) => (
            <option key={id} value={id}>
              {RECIPES[id].label}
              {id === 'fastai' ? ' (default)' : ''}
            </option>
          ))}
        </select>
      </label>
      <span className="muted small">{RECIPES[value].description}</span>
    </div>
  );
}
