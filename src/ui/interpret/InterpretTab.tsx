import { useMemo, useState } from 'react';
import { mostConfused } from '../../ml/metrics';
import type { Interpretation } from '../../protocol';
import { useBridge } from '../studio';
import { Cleaner } from './Cleaner';
import { useImageUrls } from './useImageUrls';

export function InterpretTab() {
  const bridge = useBridge();
  const [data, setData] = useState<Interpretation | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [minVal, setMinVal] = useState(1);
  const [cell, setCell] = useState<[number, number] | null>(null);
  const [retraining, setRetraining] = useState(false);
  const [retrainMessage, setRetrainMessage] = useState<string | null>(null);

  const retrain = async () => {
    setRetraining(true);
    setRetrainMessage(null);
    try {
      const rows = await bridge.request('retrain', { checkpoint: 'stage-1', epochs: 4, maxLr: '3e-3' });
      const last = rows[rows.length - 1];
      setRetrainMessage(
        `Done: error_rate ${last ? last.errorRate.toFixed(4) : '—'}. Recompute to see the new mistakes.`,
      );
    } catch (e) {
      setRetrainMessage((e as Error).message);
    } finally {
      setRetraining(false);
    }
  };

  const compute = async () => {
    setError(null);
    try {
      setData(await bridge.request('interpret', {}));
    } catch (e) {
      setError((e as Error).message);
    }
  };

  const inCell = useMemo(
    () =>
      data && cell
        ? data.ids.filter((_, i) => data.actual[i] === cell[0] && data.predicted[i] === cell[1])
        : [],
    [data, cell],
  );
  const urls = useImageUrls(inCell);

  if (!data) {
    return (
      <div>
        <h2>Interpret</h2>
        <p className="muted">
          Confusion matrix, most confused classes and top losses on the validation set of the current model.
        </p>
        <button type="button" className="primary" onClick={() => void compute()} data-testid="interpret-run">
          Analyse the validation set
        </button>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
      </div>
    );
  }
  const max = Math.max(1, ...data.confusion.flat());
  return (
    <div className="interpret">
      <div className="row">
        <h2>Interpret</h2>
        <button type="button" onClick={() => void compute()}>
          Recompute
        </button>
      </div>
      <div className="card">
        <h3>Confusion matrix</h3>
        <div className="confusion-wrap">
          <table className="confusion" data-testid="confusion">
            <thead>
              <tr>
                <th className="corner">actual ↓ / predicted →</th>
                {data.classes.map((c) => (
                  <th key={c} className="col-label">
                    <span>{c}</span>
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {data.confusion.map((row, a) => (
                <tr key={a}>
                  <th>{data.classes[a]}</th>
                  {row.map((n, p) => (
                    <td
                      key={p}
                      data-cell={`${a}-${p}`}
                      className={cell && cell[0] === a && cell[1] === p ? 'selected' : ''}
                      style={{
                        background: `rgba(194, 65, 12, ${n / max})`,
                        color: n / max > 0.5 ? '#fff' : undefined,
                      }}
                      onClick={() => setCell([a, p])}
                    >
                      {n}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {cell && (
          <div data-testid="cell-images">
            <h4>
              Actual {data.classes[cell[0]]}, predicted {data.classes[cell[1]]}: {inCell.length} image
              {inCell.length === 1 ? '' : 's'}
            </h4>
            <div className="grid" style={{ gridTemplateColumns: 'repeat(8, 1fr)' }}>
              {inCell.map((id) => (
                <img
                  key={id}
                  src={urls.get(id)}
                  alt={`validation image ${id}`}
                  className="thumb-img"
                  data-id={id}
                />
              ))}
            </div>
          </div>
        )}
      </div>
      <div className="card">
        <div className="row">
          <h3>Most confused</h3>
          <label>
            min_val{' '}
            <input
              type="number"
              min={1}
              value={minVal}
              onChange={(e) => setMinVal(Math.max(1, Number(e.target.value)))}
            />
          </label>
        </div>
        <table className="table" data-testid="most-confused">
          <thead>
            <tr>
              <th>actual</th>
              <th>predicted</th>
              <th>count</th>
            </tr>
          </thead>
          <tbody>
            {mostConfused(data.confusion, data.classes, minVal).map((c) => (
              <tr key={`${c.actual}-${c.predicted}`}>
                <td>{c.actual}</td>
                <td>{c.predicted}</td>
                <td>{c.count}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div className="card">
        <Cleaner key={data.ids.join(',')} data={data} />
        <div className="row">
          <button
            type="button"
            className="primary"
            disabled={retraining}
            onClick={() => void retrain()}
            data-testid="retrain"
          >
            {retraining ? 'Retraining…' : 'Retrain from stage-1 on the cleaned data (4 epochs, 3e-3)'}
          </button>
          {retrainMessage && (
            <span className="small" data-testid="retrain-message">
              {retrainMessage}
            </span>
          )}
        </div>
      </div>
    </div>
  );
}
