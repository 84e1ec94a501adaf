import { perClassMetrics } from '../../ml/metrics';
import type { Interpretation } from '../../protocol';
import { percent } from '../train/format';

/** Per-class precision, recall and one-vs-rest accuracy, under the confusion matrix. */
export function ClassMetricsTable({ data }: { data: Interpretation }) {
  const rows = perClassMetrics(data.confusion, data.classes);
  const show = (v: number | null) => (v === null ? '—' : percent(v));
  return (
    <table className="table" data-testid="class-metrics">
      <thead>
        <tr>
          <th>class</th>
          <th title="Validation images of the class">images</th>
          <th title="Of the images predicted as this class, how many are">precision</th>
          <th title="Of the images of this class, how many were found">recall</th>
          <th title="How often the yes/no decision for this class is right">accuracy</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.className}>
            <td>{r.className}</td>
            <td>{r.support}</td>
            <td>{show(r.precision)}</td>
            <td>{show(r.recall)}</td>
            <td>{show(r.accuracy)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
