import { useMemo, useState } from 'react';
import { mostConfused } from '../../ml/metrics';
import type { Interpretation } from '../../protocol';
import { ModelPanel, modelName } from '../ModelPanel';
import { JobWaitNote } from '../shared/JobWaitNote';
import { useAction } from '../shared/useAction';
import { useBridge, useStudioState } from '../studio';
import { percent } from '../train/format';
import { RECIPE } from '../train/recipe';
import { TrainProgressLine } from '../train/TrainProgressLine';
import { ClassMetricsTable } from './ClassMetricsTable';
import { Cleaner } from './Cleaner';
import { ConfusionMatrix } from './ConfusionMatrix';
import { useExistingIds } from './useExistingIds';
import { useImageUrls } from './useImageUrls';

interface Analysis {
  data: Interpretation;
  /** Which model answered, in words, and its identity to tell when it changed. */
  model: string;
}

export function InterpretTab() {
  const bridge = useBridge();
  const { learner } = useStudioState();
  const [analysis, setAnalysis] = useState<Analysis | null>(null);
  const [minVal, setMinVal] = useState(1);
  const [cell, setCell] = useState<[number, number] | null>(null);
  const { busy, locked, waitingFor, message, run } = useAction<'analyse' | 'retrain' | 'tta'>();
  const [tta, setTta] = useState<{ errorRate: number; model: string } | null>(null);
  const existing = useExistingIds();
  const current = modelName(learner);

  const compute = () =>
    run('analyse', async () => {
      const data = await bridge.request('interpret', {});
      setAnalysis({ data, model: current });
    });

  const retrain = () =>
    run('retrain', async () => {
      const rows = await bridge.request('retrain', {
        checkpoint: RECIPE.stage1,
        epochs: RECIPE.frozenEpochs,
        maxLr: RECIPE.frozenLr,
      });
      const last = rows[rows.length - 1];
      return `Done: error rate ${last ? percent(last.errorRate) : '—'}. Analyse again to see the new mistakes.`;
    });

  const data = analysis?.data ?? null;
  const inCell = useMemo(
    () =>
      data && cell
        ? data.ids.filter(
            (id, i) =>
              data.actual[i] === cell[0] && data.predicted[i] === cell[1] && (existing?.has(id) ?? true),
          )
        : [],
    [data, cell, existing],
  );
  const urls = useImageUrls(inCell);
  const stale = analysis !== null && analysis.model !== current;
  const removed = data && existing ? data.ids.filter((id) => !existing.has(id)).length : 0;
  const plainError = data
    ? data.actual.filter((a, i) => a !== data.predicted[i]).length / Math.max(1, data.actual.length)
    : 0;
  const measureTta = () =>
    run('tta', async () => {
      const { errorRate } = await bridge.request('ttaErrorRate', {});
      setTta({ errorRate, model: current });
    });

  return (
    <div className="interpret">
      <div className="row">
        <h2>Interpret</h2>
        <button
          type="button"
          className={data ? undefined : 'primary'}
          disabled={locked}
          onClick={() => void compute()}
          data-testid="interpret-run"
        >
          {data ? 'Analyse again' : 'Analyse the validation set'}
        </button>
      </div>
      <JobWaitNote job={waitingFor} />
      <ModelPanel />
      {!data && (
        <p className="muted">
          Confusion matrix, per-class scores, the most confused pairs and the top losses on the validation set
          of the current model.
        </p>
      )}
      {message && !data && (
        <p
          className={message.error ? 'error' : 'notice'}
          role={message.error ? 'alert' : 'status'}
          data-testid="interpret-message"
        >
          {message.text}
        </p>
      )}
      {analysis && (
        <p className={stale ? 'notice' : 'muted small'} data-testid="analysed-model">
          Analysed with {analysis.model}.
          {stale && ' The current model has changed since: analyse again to see its mistakes.'}
          {removed > 0 && ` ${removed} of its images were deleted since and are left out.`}
        </p>
      )}
      {data && (
        <>
          <div className="card">
            <h3>Confusion matrix</h3>
            <ConfusionMatrix data={data} cell={cell} onCell={setCell} />
            {cell && (
              <div data-testid="cell-images">
                <h4>
                  Actual {data.classes[cell[0]]}, predicted {data.classes[cell[1]]}: {inCell.length} image
                  {inCell.length === 1 ? '' : 's'}
                </h4>
                <div className="grid" style={{ gridTemplateColumns: 'repeat(auto-fill, minmax(96px, 1fr))' }}>
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
            <p data-testid="error-rates">
              Error rate <strong>{percent(plainError)}</strong> on {data.actual.length} validation images;{' '}
              {tta && tta.model === current ? (
                <>
                  with test-time augmentation{' '}
                  <strong data-testid="tta-error">{percent(tta.errorRate)}</strong>{' '}
                  <span className="hint">(learn.TTA(): centre, mirror and four corners averaged)</span>
                </>
              ) : (
                <button
                  type="button"
                  disabled={locked}
                  onClick={() => void measureTta()}
                  data-testid="tta-run"
                >
                  Measure with test-time augmentation
                </button>
              )}
            </p>
            {busy === 'tta' && <TrainProgressLine />}
            <h3>Per class</h3>
            <ClassMetricsTable data={data} />
          </div>
          <div className="card">
            <div className="row">
              <h3>
                Most confused <span className="hint">(most_confused)</span>
              </h3>
              <label>
                Pairs confused at least{' '}
                <input
                  type="number"
                  min={1}
                  value={minVal}
                  onChange={(e) => setMinVal(Math.max(1, Number(e.target.value)))}
                />{' '}
                times <span className="hint">(min_val)</span>
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
            <Cleaner key={data.ids.join(',')} data={data} existing={existing} />
            <div className="row">
              <button
                type="button"
                className="primary"
                disabled={locked}
                onClick={() => void retrain()}
                data-testid="retrain"
              >
                {busy === 'retrain'
                  ? 'Retraining…'
                  : `Retrain from ${RECIPE.stage1} on the cleaned data (${RECIPE.frozenEpochs} epochs, ${RECIPE.frozenLr})`}
              </button>
            </div>
            {busy === 'retrain' && <TrainProgressLine />}
            {message && (
              <p
                className={message.error ? 'error small' : 'notice small'}
                role={message.error ? 'alert' : 'status'}
                data-testid="retrain-message"
              >
                {message.text}
              </p>
            )}
          </div>
        </>
      )}
    </div>
  );
}
