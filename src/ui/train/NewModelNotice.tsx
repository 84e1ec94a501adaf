// Asked before a step that needs a new model (a new split seed, changed classes): save the current
// model and start a new one, or keep it. Nothing is discarded without the user's choice.
import type { NewModelQuestion } from './useTrainModel';

export function NewModelNotice({
  question,
  onStartNew,
  onKeep,
}: {
  question: NewModelQuestion;
  /** Saves the current model under `name`, then starts a new one with `patch` applied. */
  onStartNew: (name: string, patch: { seed?: number }) => void;
  onKeep: () => void;
}) {
  return (
    <div
      className="notice"
      role="alert"
      data-testid={question.kind === 'seed' ? 'seed-change' : 'classes-change'}
    >
      {question.kind === 'seed'
        ? 'A new split seed changes which images are held out for validation, so it needs a new model.'
        : `The dataset's classes changed since this model was made (${[
            ...question.added.map((c) => `added ${c}`),
            ...question.removed.map((c) => `removed ${c}`),
          ].join(', ')}): training on them needs a new model.`}{' '}
      <button
        type="button"
        className="primary"
        onClick={() =>
          question.kind === 'seed'
            ? onStartNew(`before-seed-${question.seed}`, { seed: question.seed })
            : onStartNew('before-new-classes', {})
        }
      >
        Save the current model and start a new one
      </button>{' '}
      <button type="button" onClick={onKeep}>
        Keep the current model
      </button>
    </div>
  );
}
