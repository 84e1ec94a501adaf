import { useCallback, useEffect, useMemo, useState } from 'react';
import { parseLearningRate } from '../../ml/schedule';
import {
  DEFAULT_TRAIN_CONFIG,
  type CheckpointInfo,
  type DatasetInfo,
  type LrFindResult,
  type TrainConfig,
} from '../../protocol';
import { useBridge, useStudioState } from '../studio';
import { EpochTable } from './EpochTable';
import { eta } from './format';
import { LineChart } from './LineChart';
import { LR_FIND } from '../../ml/lr-find';

type StepId = 'fit1' | 'save1' | 'unfreeze' | 'lrfind' | 'fit2' | 'save2';

export function TrainTab() {
  const bridge = useBridge();
  const { train, epochs, batchLosses, device, notice } = useStudioState();
  const [config, setConfig] = useState<TrainConfig>({
    ...DEFAULT_TRAIN_CONFIG,
    // Without a GPU the cached-feature frozen stage is the only practical one (see README).
    frozenMode: 'fast',
  });
  const [prepared, setPrepared] = useState<DatasetInfo | null>(null);
  /** Settings changed since the learner was prepared: the next step hands them to it. */
  const [stale, setStale] = useState(false);
  /** A new split seed the user asked for, waiting for their choice (it needs a new model). */
  const [seedChange, setSeedChange] = useState<number | null>(null);
  const [epochs1, setEpochs1] = useState('4');
  const [lr1, setLr1] = useState('3e-3');
  const [epochs2, setEpochs2] = useState('2');
  const [lr2, setLr2] = useState('slice(1e-5,1e-3)');
  const [busy, setBusy] = useState<StepId | null>(null);
  const [message, setMessage] = useState<{ text: string; error?: boolean } | null>(null);
  const [lrFind, setLrFind] = useState<LrFindResult | null>(null);
  const [checkpoints, setCheckpoints] = useState<CheckpointInfo[]>([]);

  const refreshCheckpoints = useCallback(() => {
    void bridge.request('listCheckpoints', {}).then(setCheckpoints, () => {});
  }, [bridge]);
  useEffect(refreshCheckpoints, [refreshCheckpoints]);
  useEffect(() => {
    if (device?.backend === 'webgpu') setConfig((c) => ({ ...c, frozenMode: 'faithful' }));
  }, [device?.backend]);

  const run = async (step: StepId, action: () => Promise<string | void>) => {
    setBusy(step);
    setMessage(null);
    try {
      const text = await action();
      if (text) setMessage({ text });
    } catch (error) {
      setMessage({ text: (error as Error).message, error: true });
    } finally {
      setBusy(null);
      refreshCheckpoints();
    }
  };

  /**
   * A trained model is never discarded silently: batch size, images per pass, image size and frozen
   * mode apply to the next step and keep the model; a new split seed needs a new model, so it asks
   * first and saves the current one as a named checkpoint.
   */
  const changeConfig = (patch: Partial<TrainConfig>) => {
    if (patch.seed !== undefined && patch.seed !== config.seed && prepared) {
      if (epochs.length > 0) return setSeedChange(patch.seed);
      setPrepared(null); // prepared but never trained: nothing to keep
    } else if (prepared) setStale(true);
    setConfig((c) => ({ ...c, ...patch }));
  };

  const ensurePrepared = async () => {
    if (prepared && !stale) return prepared;
    const info = prepared
      ? await bridge.request('trainReconfigure', { config })
      : await bridge.request('trainPrepare', { config });
    setPrepared(info);
    setStale(false);
    return info;
  };

  const startNewModel = async (seed: number) => {
    setSeedChange(null);
    const name = `before-seed-${seed}`;
    await run('save1', async () => {
      await bridge.request('saveCheckpoint', { name });
      setConfig((c) => ({ ...c, seed }));
      setPrepared(null);
      setStale(false);
      return `Saved the previous model as "${name}" (Checkpoints). The next step starts a new model with split seed ${seed}.`;
    });
  };

  const checkLr = (text: string) => {
    parseLearningRate(text); // throws a readable message for bad notation
    return text;
  };

  const fit = (epochsText: string, lrText: string) => async () => {
    const n = Number(epochsText);
    if (!Number.isInteger(n) || n < 1) throw new Error('Epochs must be a whole number ≥ 1.');
    checkLr(lrText);
    await ensurePrepared();
    await bridge.request('fit', { epochs: n, maxLr: lrText });
  };

  const lossSeries = useMemo(
    () => [
      {
        label: 'train loss (batch)',
        data: batchLosses.map((p) => ({ x: p.iteration, y: p.loss })),
        borderColor: '#c2410c',
        pointRadius: 0,
        borderWidth: 1,
      },
      {
        label: 'valid loss (epoch)',
        data: epochs.map((e, i) => ({
          x: Math.round(((i + 1) * batchLosses.length) / Math.max(1, epochs.length)),
          y: e.validLoss,
        })),
        borderColor: '#1d4ed8',
        pointRadius: 3,
      },
    ],
    [batchLosses, epochs],
  );

  const lrSeries = useMemo(() => {
    if (!lrFind) return [];
    const n = lrFind.lrs.length;
    const all = lrFind.lrs.map((x, i) => ({ x, y: lrFind.losses[i] }));
    // fast.ai's plot skips the first 10 and last 5 points, when the sweep has that many.
    const skip = n - LR_FIND.skipStart - LR_FIND.skipEnd >= 2;
    const points = skip ? all.slice(LR_FIND.skipStart, n - LR_FIND.skipEnd) : all;
    const s = lrFind.suggestion;
    const marker = s ? points.filter((p) => p.x === s.steepest) : [];
    return [
      { label: 'smoothed loss', data: points, borderColor: '#c2410c', pointRadius: 2 },
      {
        label: 'suggested (steepest)',
        data: marker,
        borderColor: '#15803d',
        backgroundColor: '#15803d',
        pointRadius: 7,
        showLine: false,
      },
    ];
  }, [lrFind]);

  const autosave = checkpoints.find((c) => c.name === 'autosave');
  const loadCheckpoint = (name: string) =>
    run('fit1', async () => {
      const info = await bridge.request('loadCheckpoint', { name });
      bridge.setHistory(info.history);
      // The worker's learner now holds the checkpoint: the next Fit continues it (no re-prepare).
      if (info.config) setConfig(info.config);
      if (info.dataset && info.dataset.train > 0) setPrepared(info.dataset);
      setStale(false);
      return `Loaded "${name}" (${info.stage}).`;
    });

  const stepButton = (id: StepId, label: string, action: () => Promise<string | void>) => (
    <button
      type="button"
      className="primary"
      disabled={busy !== null}
      onClick={() => void run(id, action)}
      data-testid={`step-${id}`}
    >
      {busy === id ? 'Running…' : label}
    </button>
  );

  return (
    <div className="train">
      <h2>Train</h2>
      {autosave && !prepared && epochs.length === 0 && (
        <p className="notice" data-testid="resume">
          A training run was saved after its last epoch ({autosave.stage}, {autosave.history.length} epochs).{' '}
          <button type="button" onClick={() => void loadCheckpoint('autosave')}>
            Resume it
          </button>
        </p>
      )}
      <details className="settings" open>
        <summary>Settings</summary>
        <div className="settings-grid">
          <label>
            Image size
            <input
              type="number"
              min={32}
              step={32}
              value={config.size}
              onChange={(e) => changeConfig({ size: Number(e.target.value) })}
            />
          </label>
          <label>
            Batch size
            <input
              type="number"
              min={2}
              value={config.batchSize}
              onChange={(e) => changeConfig({ batchSize: Number(e.target.value) })}
            />
          </label>
          <label>
            Frozen stage
            <select
              value={config.frozenMode}
              onChange={(e) => changeConfig({ frozenMode: e.target.value as TrainConfig['frozenMode'] })}
            >
              <option value="fast">fast (cached body features)</option>
              <option value="faithful">faithful (BatchNorm trains)</option>
            </select>
          </label>
          <label>
            Backend
            <select
              value={device?.backend ?? ''}
              onChange={(e) => {
                const url = new URL(location.href);
                url.searchParams.set('backend', e.target.value);
                location.assign(url.href); // the worker picks its backend once, at start
              }}
            >
              {['webgpu', 'webgl', 'wasm', 'cpu'].map((b) => (
                <option key={b}>{b}</option>
              ))}
            </select>
          </label>
          <label title="Images per forward/backward pass; 0 = chosen from the device's memory">
            Images per pass
            <input
              type="number"
              min={0}
              value={config.imagesPerPass ?? 0}
              onChange={(e) => changeConfig({ imagesPerPass: Number(e.target.value) })}
            />
          </label>
          <label>
            Split seed
            <input
              type="number"
              value={seedChange ?? config.seed}
              onChange={(e) => changeConfig({ seed: Number(e.target.value) })}
            />
          </label>
        </div>
        {seedChange !== null && (
          <div className="notice" role="alert" data-testid="seed-change">
            A new split seed changes which images are held out for validation, so it needs a new model.{' '}
            <button type="button" className="primary" onClick={() => void startNewModel(seedChange)}>
              Save the current model and start a new one
            </button>{' '}
            <button type="button" onClick={() => setSeedChange(null)}>
              Keep the current model
            </button>
          </div>
        )}
        {stale && (
          <p className="muted small" data-testid="settings-pending">
            New settings apply from the next step; the trained model is kept.
          </p>
        )}
        <p className="muted small">
          Backend: {device?.backend ?? '…'} ({device?.adapter ?? '…'})
          {device?.fallbackReason ? ` — ${device.fallbackReason}` : ''}
          {device?.race?.winner === 'webgpu'
            ? ` — faster than wasm in a timed training step (${device.race.webgpuMs.toFixed(0)} vs ${device.race.wasmMs.toFixed(0)} ms)`
            : ''}
          .
          {epochs.length > 0 &&
            ` Memory in use: ${(epochs[epochs.length - 1].bytes / 1e6).toFixed(0)} MB in ${epochs[epochs.length - 1].tensors} tensors.`}{' '}
          {prepared &&
            `${prepared.classes.length} classes · ${prepared.train} train / ${prepared.valid} valid images` +
              (prepared.imagesPerPass < config.batchSize
                ? ` · each batch computed in passes of ${prepared.imagesPerPass} images (device memory).`
                : '.')}
        </p>
      </details>

      <ol className="recipe">
        <li>
          <strong>Fit frozen</strong> epochs{' '}
          <input
            aria-label="Frozen epochs"
            value={epochs1}
            onChange={(e) => setEpochs1(e.target.value)}
            size={3}
          />{' '}
          max lr{' '}
          <input aria-label="Frozen max lr" value={lr1} onChange={(e) => setLr1(e.target.value)} size={18} />{' '}
          {stepButton('fit1', 'Run', fit(epochs1, lr1))}
        </li>
        <li>
          <strong>Save</strong> as stage-1{' '}
          {stepButton(
            'save1',
            'Save',
            async () => `Saved "${(await bridge.request('saveCheckpoint', { name: 'stage-1' })).name}".`,
          )}
        </li>
        <li>
          <strong>Unfreeze</strong>{' '}
          {stepButton('unfreeze', 'Unfreeze', async () => {
            await ensurePrepared();
            await bridge.request('setFrozen', { frozen: false });
            return 'The whole network now trains.';
          })}
        </li>
        <li>
          <strong>LR find</strong>{' '}
          {stepButton('lrfind', 'Run', async () => {
            await ensurePrepared();
            setLrFind(await bridge.request('lrFind', {}));
          })}
        </li>
        <li>
          <strong>Fit</strong> epochs{' '}
          <input
            aria-label="Unfrozen epochs"
            value={epochs2}
            onChange={(e) => setEpochs2(e.target.value)}
            size={3}
          />{' '}
          max lr{' '}
          <input
            aria-label="Unfrozen max lr"
            value={lr2}
            onChange={(e) => setLr2(e.target.value)}
            size={18}
          />{' '}
          {stepButton('fit2', 'Run', fit(epochs2, lr2))}
        </li>
        <li>
          <strong>Save</strong> as stage-2{' '}
          {stepButton(
            'save2',
            'Save',
            async () => `Saved "${(await bridge.request('saveCheckpoint', { name: 'stage-2' })).name}".`,
          )}
        </li>
      </ol>

      {notice && (
        <p className="notice" role="status" data-testid="train-notice">
          {notice}
        </p>
      )}
      {message && (
        <p
          className={message.error ? 'error' : 'notice'}
          role={message.error ? 'alert' : 'status'}
          data-testid="train-message"
        >
          {message.text}
        </p>
      )}
      {busy && train && (
        <div className="progress-line" data-testid="train-progress">
          <span>
            {train.phase === 'features'
              ? 'Computing body features'
              : train.phase === 'lr_find'
                ? 'LR finder'
                : train.phase === 'validate'
                  ? 'Validating'
                  : 'Training'}
          </span>
          <progress max={train.total} value={train.done} />
          <span>
            {train.done}/{train.total} {eta(train.startedAt, train.done, train.total)}
            {train.loss !== undefined && ` · loss ${train.loss.toFixed(3)}`}{' '}
            <button type="button" onClick={() => void bridge.request('trainCancel', {})}>
              Cancel
            </button>
          </span>
        </div>
      )}
      <EpochTable rows={epochs} />
      <div className="charts">
        {batchLosses.length > 0 && (
          <LineChart datasets={lossSeries} xLabel="batch" yLabel="loss" testId="loss-chart" />
        )}
        {lrFind && (
          <div>
            <LineChart
              datasets={lrSeries}
              logX
              xLabel="learning rate (log)"
              yLabel="smoothed loss"
              testId="lr-chart"
              onPick={(x) => setLr2(`slice(${(x / 100).toExponential(0)},${x.toExponential(0)})`)}
            />
            {lrFind.suggestion && (
              <p className="small" data-testid="lr-suggestion">
                Suggested: steepest descent at {lrFind.suggestion.steepest.toExponential(2)}, min loss ÷ 10 ={' '}
                {lrFind.suggestion.minOverTen.toExponential(2)}. Click a point to use it as the Fit max lr.
              </p>
            )}
          </div>
        )}
      </div>
      {checkpoints.length > 0 && (
        <div className="card">
          <h3>Checkpoints</h3>
          <table className="table" data-testid="checkpoints">
            <thead>
              <tr>
                <th>name</th>
                <th>stage</th>
                <th>saved</th>
                <th>error_rate</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {checkpoints.map((c) => (
                <tr key={c.name}>
                  <td>{c.name}</td>
                  <td>{c.stage}</td>
                  <td>{new Date(c.savedAt).toLocaleString()}</td>
                  <td>{c.errorRate === null ? '—' : c.errorRate.toFixed(4)}</td>
                  <td>
                    <button
                      type="button"
                      disabled={busy !== null}
                      onClick={() => void loadCheckpoint(c.name)}
                    >
                      Load
                    </button>{' '}
                    <button
                      type="button"
                      disabled={busy !== null}
                      onClick={() =>
                        void bridge.request('deleteCheckpoint', { name: c.name }).then(refreshCheckpoints)
                      }
                    >
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
