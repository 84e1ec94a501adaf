// "Start the head over": the frozen body and its cached features stay, the head goes back to the
// split seed's initial weights (worker request restartHead), so another head recipe — epochs, rate,
// label smoothing, mixup — costs seconds instead of a feature pass. A model is never discarded
// silently: an unsaved one is saved under a name first.
import type { ModelSummary } from '../../protocol';
import type { WorkerBridge } from '../bridge';

export const HEAD_RESTART_CHECKPOINT = 'before-head-restart';

/** Whether the head can start over on cached features: a model trained in the frozen stage only. */
export function canRestartHead(model: ModelSummary | null): model is ModelSummary {
  return model !== null && model.stage === 'frozen' && model.epochs > 0;
}

/** Restarts the head (after `applySettings`, which hands pending settings to the model); the outcome line. */
export async function restartHead(
  bridge: WorkerBridge,
  model: ModelSummary,
  applySettings: () => Promise<void>,
): Promise<string> {
  const saved = model.savedAs
    ? null
    : (await bridge.request('saveCheckpoint', { name: HEAD_RESTART_CHECKPOINT })).name;
  await applySettings();
  await bridge.request('restartHead', {});
  return (
    (saved ? `Saved the previous model as "${saved}" (Checkpoints). ` : '') +
    (model.featuresCached
      ? 'The head starts over from its initial weights on the cached body features: step 1 fits it again without a feature pass.'
      : // Epochs through the body changed its BatchNorm: its features are computed again first.
        'The head starts over from its initial weights on the body as it is: step 1 computes its features again, then fits it.')
  );
}
