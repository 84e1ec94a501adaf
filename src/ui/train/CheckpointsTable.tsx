import type { CheckpointInfo } from '../../protocol';
import { ConfirmButton } from '../shared/ConfirmButton';
import { useBridge } from '../studio';
import { percent } from './format';

export function CheckpointsTable({
  checkpoints,
  current,
  busy,
  onLoad,
}: {
  checkpoints: CheckpointInfo[];
  /** The checkpoint that holds the current model, if any. */
  current: string | null;
  busy: boolean;
  onLoad(name: string): void;
}) {
  const bridge = useBridge();
  if (!checkpoints.length) return null;
  return (
    <div className="card">
      <h3>Checkpoints</h3>
      <table className="table" data-testid="checkpoints">
        <thead>
          <tr>
            <th>name</th>
            <th>stage</th>
            <th>epochs</th>
            <th>saved</th>
            <th>error rate</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {checkpoints.map((c) => (
            <tr key={c.name} className={c.name === current ? 'current' : undefined}>
              <td>
                {c.name}
                {c.name === current && <span className="badge">current</span>}
              </td>
              <td>{c.stage}</td>
              <td>{c.history.length}</td>
              <td>{new Date(c.savedAt).toLocaleString()}</td>
              <td>{c.errorRate === null ? '—' : percent(c.errorRate)}</td>
              <td>
                <button type="button" disabled={busy} onClick={() => onLoad(c.name)}>
                  Load
                </button>{' '}
                <ConfirmButton
                  label="Delete"
                  question={`Delete checkpoint “${c.name}”?`}
                  disabled={busy}
                  onConfirm={() => void bridge.request('deleteCheckpoint', { name: c.name })}
                />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
