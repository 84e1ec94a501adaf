// Step 1's inputs: fit_one_cycle's epochs and rate, the epochs through the body the fast frozen
// mode ends with (RecipePreset.bodyEpochs), and "Start the head over" once the head has trained.
import type { ModelSummary } from '../../protocol';
import { canRestartHead } from './restart-head';
import { StepField } from './StepField';

export interface FrozenFitValues {
  epochs: string;
  lr: string;
  /** Epochs through the body after those on cached features; null: not offered (faithful mode). */
  bodyEpochs: string | null;
  bodyLr: string;
}

export function FrozenFitControls({
  values,
  onChange,
  model,
  disabled,
  onRestartHead,
  onBodyOnly,
}: {
  values: FrozenFitValues;
  onChange(patch: Partial<Record<'epochs' | 'lr' | 'bodyEpochs', string>>): void;
  model: ModelSummary | null;
  disabled: boolean;
  onRestartHead(): void;
  /** Runs only the epochs through the body; absent: none are pending (see bodyEpochsPending). */
  onBodyOnly?: () => void;
}) {
  return (
    <>
      <StepField
        label="epochs"
        name="Frozen epochs"
        value={values.epochs}
        onChange={(epochs) => onChange({ epochs })}
        size={3}
      />
      <StepField
        label="max lr"
        name="Frozen max lr"
        value={values.lr}
        onChange={(lr) => onChange({ lr })}
        size={16}
      />
      {values.bodyEpochs !== null && (
        <StepField
          label="+ through the body"
          name="Epochs through the body"
          value={values.bodyEpochs}
          onChange={(bodyEpochs) => onChange({ bodyEpochs })}
          size={2}
          numeric
          title={`After the epochs on cached body features, epochs of the head and BatchNorm through the body on fresh augmentations (fast.ai's frozen stage as it trains), one-cycle to ${values.bodyLr}: the head then meets the features the unfrozen body gives it. 0: none.`}
        />
      )}
      {onBodyOnly && (
        <button
          type="button"
          disabled={disabled}
          data-testid="body-epochs-only"
          title="This model's frozen stage ended on cached features (its epochs through the body did not run, or a reload interrupted them): run just those, without more cached-feature epochs"
          onClick={onBodyOnly}
        >
          Only the epochs through the body
        </button>
      )}
      {canRestartHead(model) && (
        <button
          type="button"
          disabled={disabled}
          data-testid="restart-head"
          title={
            'The head goes back to its initial weights on the body as it is (an unsaved model is saved first)' +
            (model.featuresCached
              ? '; its cached features are kept, so fitting again with other settings takes seconds'
              : '')
          }
          onClick={onRestartHead}
        >
          Start the head over
        </button>
      )}
    </>
  );
}
