// The loss chart's series on the model's epoch axis: the history's epoch-end losses (every epoch the
// model trained, loaded and imported ones included, so the chart survives a reload) and this
// session's batch losses between them. Pure, so it is tested in Node.
import type { EpochRow } from '../../protocol';

export interface Point {
  x: number;
  y: number;
}

export interface LossSeries {
  batches: Point[];
  train: Point[];
  valid: Point[];
}

/** Epoch i's row sits at x = i + 1, where its last batch ends (see TrainProgress.epochAt). */
export function lossSeries(
  batchLosses: readonly { epoch: number; loss: number }[],
  epochs: readonly Pick<EpochRow, 'trainLoss' | 'validLoss'>[],
): LossSeries {
  return {
    batches: batchLosses.map((p) => ({ x: p.epoch, y: p.loss })),
    train: epochs.map((e, i) => ({ x: i + 1, y: e.trainLoss })),
    valid: epochs.map((e, i) => ({ x: i + 1, y: e.validLoss })),
  };
}
