import type { Interpretation } from '../../protocol';

/** The confusion matrix; every cell is a button ("actual baroque, predicted romanticism: 15 images"). */
export function ConfusionMatrix({
  data,
  cell,
  onCell,
}: {
  data: Interpretation;
  cell: [number, number] | null;
  onCell(cell: [number, number]): void;
}) {
  const max = Math.max(1, ...data.confusion.flat());
  return (
    <div className="confusion-wrap">
      <table className="confusion" data-testid="confusion">
        <caption className="sr-only">Rows: actual class; columns: predicted class.</caption>
        <thead>
          <tr>
            <th className="corner">actual ↓ / predicted →</th>
            {data.classes.map((c) => (
              <th key={c} className="col-label" scope="col">
                <span>{c}</span>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {data.confusion.map((row, a) => (
            <tr key={a}>
              <th scope="row">{data.classes[a]}</th>
              {row.map((n, p) => {
                const strong = n / max > 0.5;
                return (
                  <td
                    key={p}
                    data-cell={`${a}-${p}`}
                    className={cell && cell[0] === a && cell[1] === p ? 'selected' : ''}
                    style={{ background: `rgba(194, 65, 12, ${n / max})` }}
                  >
                    <button
                      type="button"
                      className={`cell-button${strong ? ' strong' : ''}`}
                      aria-pressed={Boolean(cell && cell[0] === a && cell[1] === p)}
                      aria-label={`actual ${data.classes[a]}, predicted ${data.classes[p]}: ${n} image${n === 1 ? '' : 's'}`}
                      onClick={() => onCell([a, p])}
                    >
                      {n}
                    </button>
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
