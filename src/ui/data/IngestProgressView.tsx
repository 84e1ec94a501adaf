import type { IngestProgress } from '../../protocol';
import { ingestTotals } from '../jobs/job-status';
import { eta, progressText } from '../train/format';

export function IngestProgressView({ progress, onCancel }: { progress: IngestProgress; onCancel(): void }) {
  const { done, total } = ingestTotals(progress);
  return (
    <div className="card" data-testid="ingest-progress" data-running={progress.running}>
      <div className="row">
        <h3>
          {progress.running ? 'Downloading' : progress.message ? 'Download stopped' : 'Download finished'}
          {progress.elsewhere && <span className="muted small"> (in another tab)</span>}
        </h3>
        {progress.running && (
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
      <div className="progress-line">
        <span>All classes</span>
        <progress max={Math.max(1, total)} value={done} />
        <span>
          {progressText(`${done}/${total}`, progress.running && eta(progress.startedAt, done, total))}
        </span>
      </div>
      {progress.classes.map((c) => (
        <div className="progress-line" key={c.className}>
          <span>{c.className}</span>
          <progress max={Math.max(1, c.total)} value={c.done} />
          <span>
            {c.done}/{c.total} · {c.stored} stored{c.viaRelay ? ` (${c.viaRelay} via relay)` : ''} ·{' '}
            {c.failed} failed
          </span>
        </div>
      ))}
      {progress.message && (
        <p className="warning" role="alert" data-testid="ingest-message">
          {progress.message}
        </p>
      )}
    </div>
  );
}
