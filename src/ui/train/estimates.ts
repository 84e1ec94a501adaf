// The Train tab's "≈ 4 min here" beside each step, from the rates measured on this device (RateBook):
// step 1's fit (its feature pass when one is due, and its epochs through the body), the LR finder's
// sweep, step 5's fit. Pure: what the estimate needs is passed in.
import { LR_FIND_STEPS, lrFindSteps } from '../../ml/lr-find';
import {
  bodyStatistics,
  featureCacheKey,
  type BackendName,
  type ModelSummary,
  type TrainConfig,
} from '../../protocol';
import { roughDuration, type RateBook } from '../jobs/rates';
import { parseBodyEpochs } from './recipe';

export interface EstimateInputs {
  rates: Pick<RateBook, 'estimateFit' | 'estimateLrFind'>;
  backend: BackendName | undefined;
  /** The settings the next step runs with. */
  config: TrainConfig;
  /** The model the steps act on (null: step 1 makes a new one). */
  model: ModelSummary | null;
  /** Stored images, for a model not made yet (split 80/20). */
  images: number;
}

export interface StepTexts {
  /** Step 1's epochs, and its epochs through the body (null: not offered). */
  frozen: { epochs: string; bodyEpochs: string | null };
  lrSteps: string;
  unfrozen: { epochs: string };
}

const NOT_MEASURED = 'time: measured in the first steps';
const here = (seconds: number) => `${roughDuration(seconds)} here`;

/** Each timed step's estimate text (undefined: an input is not a valid count yet). */
export function stepEstimates(inputs: EstimateInputs, texts: StepTexts) {
  return {
    fit1: fitEstimate(inputs, 'frozen', texts.frozen.epochs, texts.frozen.bodyEpochs),
    lrfind: lrFindEstimate(inputs, texts.lrSteps),
    fit2: fitEstimate(inputs, 'unfrozen', texts.unfrozen.epochs, null),
  };
}

function fitEstimate(
  { rates, backend, config, model, images }: EstimateInputs,
  stage: 'frozen' | 'unfrozen',
  epochsText: string,
  bodyEpochsText: string | null,
): string | undefined {
  const epochs = Number(epochsText);
  if (!Number.isInteger(epochs) || epochs < 1) return undefined;
  let through: number;
  try {
    through = parseBodyEpochs(bodyEpochsText);
  } catch {
    return undefined;
  }
  const train = model ? model.train : Math.round(images * 0.8);
  const valid = model ? model.valid : images - train;
  const seconds = rates.estimateFit(backend, {
    epochs,
    stage,
    config,
    train,
    valid,
    needsFeatures: !(
      model &&
      model.stage === 'frozen' &&
      (model.featuresCached ?? model.epochs > 0) &&
      featureCacheKey(config) === featureCacheKey(model.config)
    ),
    needsStatistics: !(model && model.epochs > 0) && bodyStatistics(config) !== 'imagenet',
  });
  if (seconds === null) return NOT_MEASURED;
  if (through === 0) return here(seconds);
  const body = rates.estimateFit(backend, {
    epochs: through,
    stage,
    config: { ...config, frozenMode: 'faithful' },
    train,
    valid,
    needsFeatures: false,
  });
  return body === null ? NOT_MEASURED : here(seconds + body);
}

/**
 * Step 4's sweep, which the recipe runs after unfreezing (step 3 first): at the whole network's
 * rate whatever the stage now — a frozen model's rate (the head on cached features) once read
 * "< 1 min" for a sweep of many minutes.
 */
function lrFindEstimate({ rates, backend, config }: EstimateInputs, stepsText: string): string | undefined {
  const iterations = lrFindSteps(stepsText);
  if (iterations === null) return `steps: ${LR_FIND_STEPS.min}–${LR_FIND_STEPS.max}`;
  const seconds = rates.estimateLrFind(backend, config, 'unfrozen', iterations);
  return seconds === null ? NOT_MEASURED : here(seconds);
}
