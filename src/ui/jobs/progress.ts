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
  const { batchLosses, lrSweep, job, notice } = snapshot;
  const { phase, loss, lr } = progress;
  const main = phase === 'fit' || phase === 'lr_find';
  return {
    train: progress,
    batchLosses:
      phase === 'fit' && loss !== undefined
        ? [...batchLosses, { iteration: batchLosses.length, loss }]
        : batchLosses,
    lrSweep:
      phase === 'lr_find' && lr !== undefined && loss !== undefined ? [...lrSweep, { lr, loss }] : lrSweep,
    job: job && main ? { ...job, main: progress } : job,
    notice: progress.notice ?? notice,
  };
}
