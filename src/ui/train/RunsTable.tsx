import type { EpochRow } from '../../protocol';
import { mmss, percent } from './format';
import { groupRuns, stageText } from './runs';

/** Each run of the current model's history: its settings, length, time and final error, to compare. */
export function RunsTable({ rows }: { rows: EpochRow[] }) {
  const groups = groupRuns(rows);
  if (groups.length < 2) return null;
  return (
    <details className="card" open>
      <summary>
        <h3>Runs</h3>
      </summary>
      <table className="table" data-testid="runs">
        <thead>
          <tr>
            <th>run</th>
            <th>stage</th>
            <th>settings</th>
            <th>epochs</th>
            <th>time</th>
            <th>final error rate</th>
          </tr>
        </thead>
        <tbody>
          {groups.map((g) => (
            <tr key={g.index}>
              <td>{g.index}</td>
              <td>{stageText(g.stage, g.run)}</td>
              <td>{g.run ? `${g.run.size} px · batch ${g.run.batchSize} · max lr ${g.run.maxLr}` : '—'}</td>
              <td>{g.rows.length}</td>
              <td>{mmss(g.seconds)}</td>
              <td>{percent(g.finalError)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}
