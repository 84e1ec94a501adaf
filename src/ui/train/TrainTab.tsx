import { useEffect, useMemo, useRef, useState } from 'react';
import { getMeta, openStudioDb } from '../../data/db';
import { STORES } from '../../data/schema';
import { useStoreVersion } from '../shared/useStoreVersion';
import { LR_FIND } from '../../ml/lr-find';
import { parseLearningRate } from '../../ml/schedule';
import {
  AUTOSAVE_CHECKPOINT,
  bodyStatistics,
  labelSmoothing,
  mixupAlpha,
  DEFAULT_TRAIN_CONFIG,
  type ModelSummary,
  type TrainConfig,
} from '../../protocol';
import { roughDuration } from '../jobs/rates';
import { ModelPanel } from '../ModelPanel';
import { useAction } from '../shared/useAction';
import { useClassCounts } from '../shared/useClassCounts';
import { useBridge, useStudioState } from '../studio';
import { CheckpointsTable } from './CheckpointsTable';
import { EpochTable } from './EpochTable';
import { rate } from './format';
import { LineChart, chartColors } from './LineChart';
import { LrFinderPanel } from './LrFinderPanel';
import { Recipe, type StepView } from './Recipe';
import { TrainElsewhere } from './TrainElsewhere';
import { RecipeChoice } from './RecipeChoice';
import { RECIPE, RECIPES, stepStates, type RecipeId, whatComesFirst, type StepId } from './recipe';
import { canRestartHead, restartHead } from './restart-head';
import { RunsTable } from './RunsTable';
import { TrainSettings } from './TrainSettings';
import { useCheckpoints } from './useCheckpoints';

/** Why the next step needs a new model, waiting for the user's choice. */
type NewModelQuestion =
  { kind: 'seed'; seed: number } | { kind: 'classes'; added: string[]; removed: string[] };

function sameClasses(model: ModelSummary, counts: Map<string, number>): boolean {
  const stored = [...counts.entries()].filter(([, n]) => n > 0).map(([c]) => c);
  return stored.length === 0 || [...stored].sort().join('\n') === [...model.classes].sort().join('\n');
}

export function TrainTab() {
  const bridge = useBridge();
  const { epochs, batchLosses, device, notice, learner: model, lrSweep, job } = useStudioState();
  const [config, setConfig] = useState<TrainConfig>({
    ...DEFAULT_TRAIN_CONFIG,
    // Without a GPU the cached-feature frozen stage is the only practical one (see README).
    frozenMode: 'fast',
  });
  /** Settings changed since the model was prepared: the next step hands them to it. */
  const [stale, setStale] = useState(false);
  /** The next step starts a new model (the user chose to, after a seed or class change). */
  const [startFresh, setStartFresh] = useState(false);
  const [question, setQuestion] = useState<NewModelQuestion | null>(null);
  const [epochs1, setEpochs1] = useState(String(RECIPE.frozenEpochs));
  const [lr1, setLr1] = useState<string>(RECIPE.frozenLr);
  const [epochs2, setEpochs2] = useState(String(RECIPE.unfrozenEpochs));
  const [lr2, setLr2] = useState<string>(RECIPE.unfrozenLr);
  const [recipeId, setRecipeId] = useState<RecipeId>('fastai');
  const chooseRecipe = (id: RecipeId) => {
    const r = RECIPES[id];
    setRecipeId(id);
    setEpochs1(String(r.frozenEpochs));
    setLr1(r.frozenLr);
    setEpochs2(String(r.unfrozenEpochs));
    setLr2(r.unfrozenLr);
    if (
      config.size !== r.size ||
      labelSmoothing(config) !== r.labelSmoothing ||
      mixupAlpha(config) !== r.mixup
    )
      changeConfig({ size: r.size, labelSmoothing: r.labelSmoothing, mixup: r.mixup });
  };
  const { busy, message, setMessage, run } = useAction<StepId | 'load' | 'new'>();
  // A step's outcome comes into view when it arrives (a long job may have scrolled the page away).
  const messageLine = useRef<HTMLParagraphElement>(null);
  useEffect(() => {
    messageLine.current?.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  }, [message]);
  const checkpoints = useCheckpoints();
  const counts = useClassCounts();

  useEffect(() => {
    if (device?.backend === 'webgpu') setConfig((c) => ({ ...c, frozenMode: 'faithful' }));
  }, [device?.backend]);
  // A model loaded elsewhere (Resume, a checkpoint, an import) brings its settings.
  const modelConfig = model ? JSON.stringify(model.config) : null;
  useEffect(() => {
    if (modelConfig) setConfig(JSON.parse(modelConfig) as TrainConfig);
    setStale(false);
  }, [modelConfig]);
  // With no model yet, a new one uses the split the dataset already has (an imported dataset brings
  // its split seed), so its validation images stay the same ones. Re-read when the stored seed
  // changes (an import in this or another tab); a seed the user typed stays until then.
  const hasModel = useRef(false);
  hasModel.current = modelConfig !== null;
  const storedSeed = useRef<number | undefined>(undefined);
  const metaVersion = useStoreVersion(STORES.meta);
  useEffect(() => {
    void openStudioDb()
      .then((db) => getMeta<number>(db, 'split-seed'))
      .then((seed) => {
        if (seed === undefined || seed === storedSeed.current) return;
        storedSeed.current = seed;
        if (!hasModel.current) setConfig((c) => ({ ...c, seed }));
      });
  }, [metaVersion]);

  const usable = model !== null && model.train > 0 && !startFresh;
  const classesChanged = usable && counts !== null && !sameClasses(model, counts);

  const changeConfig = (patch: Partial<TrainConfig>) => {
    if (patch.seed !== undefined && patch.seed !== config.seed && usable && model.epochs > 0)
      return setQuestion({ kind: 'seed', seed: patch.seed });
    if (patch.seed !== undefined && patch.seed !== config.seed) setStartFresh(usable || startFresh);
    else if (usable) setStale(true);
    setConfig((c) => ({ ...c, ...patch }));
  };

  /** The model the next step trains: the current one (with new settings), or a new one. */
  const ensureModel = async () => {
    if (usable && !stale) return;
    if (usable) await bridge.request('trainReconfigure', { config });
    else await bridge.request('trainPrepare', { config });
    setStale(false);
    setStartFresh(false);
  };

  /** A model is never discarded silently: it is saved under a name before a new one starts. */
  const startNewModel = (name: string, patch: Partial<TrainConfig>) =>
    run('new', async () => {
      setQuestion(null);
      await bridge.request('saveCheckpoint', { name });
      setConfig((c) => ({ ...c, ...patch }));
      setStartFresh(true);
      setStale(false);
      return `Saved the previous model as "${name}" (Checkpoints). The next step starts a new model.`;
    });

  const fit = async (epochsText: string, lrText: string) => {
    const n = Number(epochsText);
    if (!Number.isInteger(n) || n < 1) throw new Error('Epochs must be a whole number ≥ 1.');
    parseLearningRate(lrText); // throws a readable message for bad notation
    await ensureModel();
    await bridge.request('fit', { epochs: n, maxLr: lrText });
  };

  /** The recipe's last fit done: its validation error with test-time augmentation, if it asks. */
  const ttaOutcome = async () => {
    if (!RECIPES[recipeId].tta) return;
    const { errorRate } = await bridge.request('ttaErrorRate', {});
    return `Validation error with test-time augmentation: ${(errorRate * 100).toFixed(1)} %.`;
  };

  const actions: Record<StepId, () => Promise<string | void>> = {
    fit1: async () => {
      await fit(epochs1, lr1);
      // A recipe without an unfrozen stage ends here.
      if (RECIPES[recipeId].unfrozenEpochs === 0) return ttaOutcome();
    },
    save1: async () => `Saved "${(await bridge.request('saveCheckpoint', { name: RECIPE.stage1 })).name}".`,
    unfreeze: async () => {
      await ensureModel();
      await bridge.request('setFrozen', { frozen: false });
      return 'The whole network now trains.';
    },
    lrfind: async () => {
      await ensureModel();
      await bridge.request('lrFind', {});
    },
    fit2: async () => {
      await fit(epochs2, lr2);
      return ttaOutcome();
    },
    save2: async () => `Saved "${(await bridge.request('saveCheckpoint', { name: RECIPE.stage2 })).name}".`,
  };
  const runStep = (id: StepId) => {
    const first = whatComesFirst(id, usable ? model : null);
    if (first) return setMessage({ text: first, error: true, code: 'invalid-input' });
    if (classesChanged && (id === 'fit1' || id === 'fit2' || id === 'lrfind')) {
      const stored = [...counts.keys()];
      return setQuestion({
        kind: 'classes',
        added: stored.filter((c) => !model.classes.includes(c)),
        removed: model.classes.filter((c) => !stored.includes(c)),
      });
    }
    void run(id, actions[id]);
  };

  const loadCheckpoint = (name: string) =>
    void run('load', async () => {
      const info = await bridge.request('loadCheckpoint', { name });
      setStartFresh(false);
      return `Loaded "${name}" (${info.stage}).`;
    });

  /** A new backend restarts the engine: an unsaved trained model is saved under a name first. */
  const switchBackend = (backend: string) =>
    run('new', async () => {
      if (model && model.epochs > 0 && !model.savedAs)
        await bridge.request('saveCheckpoint', { name: `before-${backend}` });
      const url = new URL(location.href);
      url.searchParams.set('backend', backend);
      location.assign(url.href);
    });

  const pickLr = (lr: number) => {
    setLr2(`slice(${rate(lr / 100)},${rate(lr)})`);
    void bridge.request('pickLr', { lr }).catch(() => undefined);
    // The Fit step comes into view with the picked rate in it.
    const fitStep = document.querySelector('[data-testid=recipe-fit2]');
    fitStep?.scrollIntoView({ block: 'center', behavior: 'smooth' });
    document
      .querySelector<HTMLInputElement>('[aria-label="Unfrozen max lr"]')
      ?.focus({ preventScroll: true });
  };

  const states = stepStates(usable ? model : null, busy && busy in actions ? (busy as StepId) : null);
  const total = counts ? [...counts.values()].reduce((a, b) => a + b, 0) : 0;
  const plan = (epochsText: string, stage: 'frozen' | 'unfrozen') => {
    const n = Number(epochsText);
    if (!Number.isInteger(n) || n < 1) return undefined;
    const train = usable ? model.train : Math.round(total * 0.8);
    const valid = usable ? model.valid : total - train;
    const seconds = bridge.rates.estimateFit(device?.backend, {
      epochs: n,
      stage,
      config,
      train,
      valid,
      needsFeatures: !(
        usable &&
        model.stage === 'frozen' &&
        (model.featuresCached ?? model.epochs > 0) &&
        config.size === model.config.size &&
        config.variants === model.config.variants
      ),
      needsStatistics: !(usable && model.epochs > 0) && bodyStatistics(config) === 'data',
    });
    return seconds === null ? 'time: measured in the first steps' : `${roughDuration(seconds)} here`;
  };
  const lrEstimate = usable ? bridge.rates.estimateLrFind(device?.backend, model, LR_FIND.iterations) : null;

  const steps: StepView[] = [
    {
      id: 'fit1',
      hint: 'fit_one_cycle',
      controls: (
        <>
          <label>
            epochs{' '}
            <input
              aria-label="Frozen epochs"
              value={epochs1}
              onChange={(e) => setEpochs1(e.target.value)}
              size={3}
            />
          </label>
          <label>
            max lr{' '}
            <input
              aria-label="Frozen max lr"
              value={lr1}
              onChange={(e) => setLr1(e.target.value)}
              size={16}
            />
          </label>
          {usable && canRestartHead(model) && (
            <button
              type="button"
              disabled={busy !== null}
              data-testid="restart-head"
              title="The head goes back to its initial weights; the frozen body's cached features are kept, so fitting again with other settings takes seconds (an unsaved model is saved first)"
              onClick={() => void run('new', () => restartHead(bridge, model, ensureModel))}
            >
              Start the head over
            </button>
          )}
        </>
      ),
      estimate: plan(epochs1, 'frozen'),
    },
    { id: 'save1', hint: 'learn.save' },
    { id: 'unfreeze', hint: 'learn.unfreeze' },
    {
      id: 'lrfind',
      hint: 'lr_find',
      estimate: lrEstimate === null ? undefined : `${roughDuration(lrEstimate)} here`,
    },
    {
      id: 'fit2',
      hint: 'fit_one_cycle, discriminative rates',
      controls: (
        <>
          <label>
            epochs{' '}
            <input
              aria-label="Unfrozen epochs"
              value={epochs2}
              onChange={(e) => setEpochs2(e.target.value)}
              size={3}
            />
          </label>
          <label>
            max lr{' '}
            <input
              aria-label="Unfrozen max lr"
              value={lr2}
              onChange={(e) => setLr2(e.target.value)}
              size={18}
            />
          </label>
        </>
      ),
      estimate: plan(epochs2, 'unfrozen'),
    },
    { id: 'save2', hint: 'learn.save' },
  ];

  const lossSeries = useMemo(() => {
    const colors = chartColors();
    return [
      {
        label: 'train loss (batch)',
        data: batchLosses.map((p) => ({ x: p.iteration, y: p.loss })),
        borderColor: colors.series[0],
        pointRadius: 0,
        borderWidth: 1,
      },
      {
        label: 'valid loss (epoch)',
        data: epochs.map((e, i) => ({
          x: Math.round(((i + 1) * batchLosses.length) / Math.max(1, epochs.length)),
          y: e.validLoss,
        })),
        borderColor: colors.series[1],
        pointRadius: 3,
      },
    ];
  }, [batchLosses, epochs]);

  const autosave = checkpoints.find((c) => c.name === AUTOSAVE_CHECKPOINT);
  const sweeping = job?.name === 'lrFind';
  return (
    <div className="train">
      <h2>Train</h2>
      <ModelPanel />
      {autosave && (!model || model.epochs === 0) && (
        <p className="notice" data-testid="resume">
          A training run was saved after its last epoch ({autosave.stage}, {autosave.history.length} epochs).{' '}
          <button type="button" onClick={() => loadCheckpoint(AUTOSAVE_CHECKPOINT)}>
            Resume it
          </button>
        </p>
      )}
      <TrainSettings
        config={config}
        device={device}
        model={usable ? model : null}
        seedValue={question?.kind === 'seed' ? question.seed : config.seed}
        onChange={changeConfig}
        onBackend={(backend) => void switchBackend(backend)}
      />
      {question && (
        <div
          className="notice"
          role="alert"
          data-testid={question.kind === 'seed' ? 'seed-change' : 'classes-change'}
        >
          {question.kind === 'seed'
            ? 'A new split seed changes which images are held out for validation, so it needs a new model.'
            : `The dataset's classes changed since this model was made (${[
                ...question.added.map((c) => `added ${c}`),
                ...question.removed.map((c) => `removed ${c}`),
              ].join(', ')}): training on them needs a new model.`}{' '}
          <button
            type="button"
            className="primary"
            onClick={() =>
              question.kind === 'seed'
                ? startNewModel(`before-seed-${question.seed}`, { seed: question.seed })
                : startNewModel('before-new-classes', {})
            }
          >
            Save the current model and start a new one
          </button>{' '}
          <button type="button" onClick={() => setQuestion(null)}>
            Keep the current model
          </button>
        </div>
      )}
      {stale && (
        <p className="muted small" data-testid="settings-pending">
          New settings apply from the next step; the trained model is kept.
        </p>
      )}
      <RecipeChoice value={recipeId} disabled={busy !== null} onChange={chooseRecipe} />
      <Recipe steps={steps} states={states} disabled={busy !== null} onRun={runStep} />
      {notice && (
        <p className="notice" role="status" data-testid="train-notice">
          {notice}
        </p>
      )}
      {message && (
        <p
          ref={messageLine}
          className={`${message.error ? 'error' : 'notice'} outcome`}
          role={message.error ? 'alert' : 'status'}
          data-testid="train-message"
        >
          {message.text}
        </p>
      )}
      <EpochTable rows={epochs} />
      <div className="charts">
        {batchLosses.length > 0 && (
          <LineChart datasets={lossSeries} xLabel="batch" yLabel="loss" testId="loss-chart" />
        )}
        <LrFinderPanel
          sweep={sweeping ? lrSweep : []}
          result={sweeping ? null : (model?.lrFind ?? null)}
          onPick={pickLr}
        />
      </div>
      <RunsTable rows={epochs} />
      <TrainElsewhere
        config={config}
        stages={{
          frozenEpochs: Number(epochs1),
          frozenLr: lr1,
          unfrozenEpochs: Number(epochs2),
          unfrozenLr: lr2,
        }}
        disabled={busy !== null}
      />
      <CheckpointsTable
        checkpoints={checkpoints}
        current={model?.savedAs ?? null}
        busy={busy !== null}
        onLoad={loadCheckpoint}
      />
    </div>
  );
}
