import type { EpochRow } from '../../protocol';
import { mmss } from './format';

/** The table fast.ai prints during fit_one_cycle, one row per epoch, across stages. */
export function EpochTable({ rows }: { rows: EpochRow[] }) {
  if (!rows.length) return null;
  return (
    <table className="table epochs" data-testid="epoch-table">
      <thead>
        <tr>
          <th>stage</th>
          <th>epoch</th>
          <th>train_loss</th>
          <th>valid_loss</th>
          <th>error_rate</th>
          <th>time</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r, i) => (
          <tr key={i}>
            <td>{r.stage}</td>
            <td>{r.epoch}</td>
            <td>{r.trainLoss.toFixed(6)}</td>
            <td>{r.validLoss.toFixed(6)}</td>
            <td>{r.errorRate.toFixed(6)}</td>
            <td>{mmss(r.seconds)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
