import type { TrainPhase } from '../../protocol';

/** What the engine is doing, in words. */
export const PHASE_LABELS: Record<TrainPhase, string> = {
  prepare: 'Reading the dataset',
  statistics: 'Measuring BatchNorm statistics on your images',
  features: 'Computing body features',
  fit: 'Training',
  lr_find: 'LR finder sweep',
  validate: 'Validating',
  save: 'Saving checkpoint',
};
