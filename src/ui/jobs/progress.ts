// What one training progress event changes in the bridge's snapshot: the live loss chart's points
// (a fit's batch losses, the LR finder's sweep), the job's main progress (its overall ETA while
// other phases run), the last adaptation notice. Pure, so it is tested in Node.
import type { TrainProgress } from '../../protocol';
import type { BridgeSnapshot } from '../bridge';

type Touched = 'train' | 'batchLosses' | 'lrSweep' | 'job' | 'notice';

export function afterProgress(
  snapshot: Pick<BridgeSnapshot, Touched>,
  progress: TrainProgress,
): Pick<BridgeSnapshot, Touched> {
  const { lrSweep, job, notice } = snapshot;
  const { phase, loss, lr } = progress;
  const main = phase === 'fit' || phase === 'lr_find';
  return {
    train: progress,
    batchLosses: phase === 'fit' ? fitPoints(snapshot.batchLosses, progress) : snapshot.batchLosses,
    lrSweep:
      phase === 'lr_find' && lr !== undefined && loss !== undefined ? [...lrSweep, { lr, loss }] : lrSweep,
    job: job && main ? { ...job, main: progress } : job,
    notice: progress.notice ?? notice,
  };
}

/**
 * A fit's batch losses on the model's epoch axis. A fit that starts drops the points at or past its
 * start: a cancelled epoch's, which its history never recorded and the new fit trains again.
 */
function fitPoints(
  points: BridgeSnapshot['batchLosses'],
  progress: TrainProgress,
): BridgeSnapshot['batchLosses'] {
  const { done, loss, epochAt } = progress;
  if (epochAt === undefined) return points;
  if (done === 0)
    return points.some((p) => p.epoch > epochAt) ? points.filter((p) => p.epoch <= epochAt) : points;
  return loss === undefined ? points : [...points, { epoch: epochAt, loss }];
}

/**
 * The batch losses that still belong to the model a summary describes: none once the worker holds
 * another model (they were its predecessor's).
 */
export function pointsForModel(
  points: BridgeSnapshot['batchLosses'],
  before: { id: number } | null,
  after: { id: number } | null,
): BridgeSnapshot['batchLosses'] {
  return before && after && before.id === after.id ? points : [];
}
