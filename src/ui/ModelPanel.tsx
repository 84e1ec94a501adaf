import type { ModelSummary } from '../protocol';
import { useStudioState } from './studio';
import { percent } from './train/format';

export function originText(model: ModelSummary): string {
  switch (model.origin.kind) {
    case 'new':
      return 'new model (ImageNet body)';
    case 'checkpoint':
      return `from checkpoint “${model.origin.name}”`;
    case 'import':
      return `imported “${model.origin.name}”`;
  }
}

/** One line naming a model, for "which model answered" notes. */
export function modelName(model: ModelSummary | null): string {
  if (!model) return 'no trained model';
  const saved = model.savedAs ? `“${model.savedAs}”` : `${originText(model)}, unsaved`;
  return `${saved} (${model.stage}, ${model.epochs} epoch${model.epochs === 1 ? '' : 's'})`;
}

/** The current model, as every tab that uses it shows it: origin, stage, epochs, error, saved. */
export function ModelPanel() {
  const { learner: model } = useStudioState();
  if (!model)
    return (
      <div className="model-panel" data-testid="model-panel" data-state="none">
        <strong>Current model:</strong> none yet — train one on the Train tab (step 1), or load a checkpoint.
      </div>
    );
  return (
    <div className="model-panel" data-testid="model-panel" data-state={model.savedAs ? 'saved' : 'unsaved'}>
      <strong>Current model:</strong> <span data-testid="model-origin">{originText(model)}</span>
      <span className="fact">
        stage <strong>{model.stage}</strong>
      </span>
      <span className="fact">
        <strong>{model.epochs}</strong> epoch{model.epochs === 1 ? '' : 's'} trained
      </span>
      <span className="fact">
        error rate <strong>{model.errorRate === null ? '—' : percent(model.errorRate)}</strong>
      </span>
      <span className="fact">
        {model.classes.length} classes · {model.config.size} px
      </span>
      <span className={`fact ${model.savedAs ? 'ok' : 'warn'}`} data-testid="model-saved">
        {model.savedAs
          ? `saved as “${model.savedAs}”`
          : model.autosaved
            ? 'unsaved changes (autosaved)'
            : model.autosaveRefused
              ? `unsaved, only in memory: the automatic save failed (${model.autosaveRefused}) — Save or export it`
              : model.epochs
                ? 'unsaved changes'
                : 'not trained yet'}
      </span>
    </div>
  );
}
