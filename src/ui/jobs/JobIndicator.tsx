import { progressText } from '../train/format';
import { useJobStatus } from './useJobStatus';

/** The running job in the header, on every tab: what runs, how far, how long, and Cancel. */
export function JobIndicator() {
  const status = useJobStatus();
  if (!status) return null;
  return (
    <div className="job-indicator" role="status" aria-live="polite" data-testid="job-indicator">
      <span className="job-label">{status.label}</span>
      <progress max={1} value={status.fraction ?? undefined} aria-label={`${status.label} progress`} />
      <span className="job-numbers">
        {progressText(status.fraction !== null && `${Math.floor(status.fraction * 100)}%`, status.eta)}
      </span>
      {status.cancel && (
        <button type="button" onClick={status.cancel}>
          Cancel
        </button>
      )}
    </div>
  );
}
