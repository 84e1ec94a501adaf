import type { EpochRow } from '../../protocol';
import { loss, mmss, percent } from './format';
import { groupRuns, stageText } from './runs';

/** The table fast.ai prints during fit_one_cycle, one row per epoch, grouped by run. */
export function EpochTable({ rows }: { rows: EpochRow[] }) {
  if (!rows.length) return null;
  const groups = groupRuns(rows);
  return (
    <table className="table epochs" data-testid="epoch-table">
      <thead>
        <tr>
          <th>run</th>
          <th>stage</th>
          <th>epoch</th>
          <th title="Training loss (smoothed over the epoch)">train_loss</th>
          <th title="Loss on the validation images">valid_loss</th>
          <th title="Share of validation images classified wrongly">error_rate</th>
          <th>time</th>
        </tr>
      </thead>
      {groups.map((g) => (
        <tbody key={g.index} data-run={g.index}>
          {g.rows.map((r, i) => (
            <tr key={i}>
              {i === 0 && (
                <th scope="rowgroup" rowSpan={g.rows.length} className="run-cell">
                  {g.index}
                  {g.run && <span className="hint"> · lr {g.run.maxLr}</span>}
                </th>
              )}
              <td>{stageText(r.stage, g.run)}</td>
              <td>{r.epoch}</td>
              <td>{loss(r.trainLoss)}</td>
              <td>{loss(r.validLoss)}</td>
              <td>{percent(r.errorRate)}</td>
              <td>{mmss(r.seconds)}</td>
            </tr>
          ))}
        </tbody>
      ))}
    </table>
  );
}
