import { useJobStatus } from '../jobs/useJobStatus';
import { useStudioState } from '../studio';
import { loss, progressText } from './format';

/** The running step's progress, inside the step: phase, bar, count, ETA, loss and Cancel. */
export function TrainProgressLine() {
  const status = useJobStatus();
  const { train } = useStudioState();
  if (!status || status.kind !== 'train') return null;
  return (
    <div className="progress-line" data-testid="train-progress">
      {status.cancel && (
        <button type="button" onClick={status.cancel}>
          Cancel
        </button>
      )}
      <span className="job-label">{status.label}</span>
      <progress max={1} value={status.fraction ?? undefined} aria-label="Step progress" />
      <span>
        {progressText(status.detail, status.eta, train?.loss !== undefined && `loss ${loss(train.loss)}`)}
      </span>
    </div>
  );
}
