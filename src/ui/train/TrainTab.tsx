import { useEffect, useRef, useState } from 'react';
import { LR_FIND, parseLrFindSteps } from '../../ml/lr-find';
import { parseLearningRate } from '../../ml/schedule';
import { AUTOSAVE_CHECKPOINT } from '../../protocol';
import { ModelPanel } from '../ModelPanel';
import { JobWaitNote } from '../shared/JobWaitNote';
import { useAction } from '../shared/useAction';
import { useBridge, useStudioState } from '../studio';
import { CheckpointsTable } from './CheckpointsTable';
import { EpochTable } from './EpochTable';
import { rate } from './format';
import { LossChart } from './LossChart';
import { LrFinderPanel } from './LrFinderPanel';
import { Recipe, type StepView } from './Recipe';
import { TrainElsewhere } from './TrainElsewhere';
import { RecipeChoice } from './RecipeChoice';
import { bodyOnlyOffered, parseBodyEpochs, RECIPE, stepStates, whatComesFirst, type StepId } from './recipe';
import { FrozenFitControls } from './FrozenFitControls';
import { StepField } from './StepField';
import { stepEstimates } from './estimates';
import { restartHead } from './restart-head';
import { RunsTable } from './RunsTable';
import { TrainSettings } from './TrainSettings';
import { useTrainModel } from './useTrainModel';
import { useCheckpoints } from './useCheckpoints';
import { NewModelNotice } from './NewModelNotice';
import { useRecipeValues } from './useRecipeValues';

export function TrainTab() {
  const bridge = useBridge();
  const { epochs, batchLosses, device, notice, learner: model, lrSweep, job } = useStudioState();
  const { busy, locked, waitingFor, message, setMessage, run } = useAction<StepId | 'load' | 'new'>();
  const {
    config,
    changeConfig,
    stale,
    current,
    counts,
    classChange,
    question,
    setQuestion,
    ensureModel,
    startNewModel,
    setStartFresh,
  } = useTrainModel(model, device, run);
  const { recipeId, recipe, chooseRecipe, values, change } = useRecipeValues(config, changeConfig);
  const [lrSteps, setLrSteps] = useState(String(LR_FIND.iterations));
  // A step's outcome, and a notice that arrives while it runs (an automatic save the browser
  // refused, a smaller pass), come into view when they arrive: they sit below the recipe's steps.
  const messageLine = useIntoView(message);
  const noticeLine = useIntoView(notice);
  const checkpoints = useCheckpoints();

  const fit = async (epochsText: string, lrText: string) => {
    const n = Number(epochsText);
    if (!Number.isInteger(n) || n < 1) throw new Error('Epochs must be a whole number ≥ 1.');
    parseLearningRate(lrText); // throws a readable message for bad notation
    await ensureModel();
    await bridge.request('fit', { epochs: n, maxLr: lrText });
  };

  /** The recipe's last fit done: its validation error with test-time augmentation, if it asks. */
  const ttaOutcome = async () => {
    if (!recipe.tta) return;
    const { errorRate } = await bridge.request('ttaErrorRate', {});
    return `Validation error with test-time augmentation: ${(errorRate * 100).toFixed(1)} %.`;
  };

  // The fast frozen mode's stage ends with epochs through the body (none in the faithful mode).
  const bodyEpochsText = config.frozenMode === 'fast' ? values.bodyEpochs : null;
  const bodyLr = recipe.bodyLr;

  const fitThroughBody = (epochs: number) =>
    bridge.request('fit', { epochs, maxLr: bodyLr, frozenMode: 'faithful' });
  /** The body epochs a model's frozen stage still lacks (see bodyOnlyOffered), on their own. */
  const bodyOnly = async () => {
    await ensureModel();
    await fitThroughBody(parseBodyEpochs(bodyEpochsText));
  };
  const offerBodyOnly = busy === null && bodyOnlyOffered(current, bodyEpochsText);

  const actions: Record<StepId, () => Promise<string | void>> = {
    fit1: async () => {
      const through = parseBodyEpochs(bodyEpochsText); // a bad value stops before the fit, not after
      await fit(values.frozenEpochs, values.frozenLr);
      if (through > 0) await fitThroughBody(through);
      // A recipe without an unfrozen stage ends here.
      if (recipe.unfrozenEpochs === 0) return ttaOutcome();
    },
    save1: async () => `Saved "${(await bridge.request('saveCheckpoint', { name: RECIPE.stage1 })).name}".`,
    unfreeze: async () => {
      await ensureModel();
      await bridge.request('setFrozen', { frozen: false });
      return 'The whole network now trains.';
    },
    lrfind: async () => {
      const iterations = parseLrFindSteps(lrSteps); // throws a readable message
      await ensureModel();
      await bridge.request('lrFind', { iterations });
    },
    fit2: async () => {
      await fit(values.unfrozenEpochs, values.unfrozenLr);
      return ttaOutcome();
    },
    save2: async () => `Saved "${(await bridge.request('saveCheckpoint', { name: RECIPE.stage2 })).name}".`,
  };
  const runStep = (id: StepId) => {
    const first = whatComesFirst(id, current);
    if (first) return setMessage({ text: first, error: true, code: 'invalid-input' });
    if (classChange && (id === 'fit1' || id === 'fit2' || id === 'lrfind'))
      return setQuestion({ kind: 'classes', ...classChange });
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
    change({ unfrozenLr: `slice(${rate(lr / 100)},${rate(lr)})` });
    void bridge.request('pickLr', { lr }).catch(() => undefined);
    // The Fit step comes into view with the picked rate in it.
    const fitStep = document.querySelector('[data-testid=recipe-fit2]');
    fitStep?.scrollIntoView({ block: 'center', behavior: 'smooth' });
    document
      .querySelector<HTMLInputElement>('[aria-label="Unfrozen max lr"]')
      ?.focus({ preventScroll: true });
  };

  const states = stepStates(current, busy && busy in actions ? (busy as StepId) : null);
  const total = counts ? [...counts.values()].reduce((a, b) => a + b, 0) : 0;
  const estimates = stepEstimates(
    { rates: bridge.rates, backend: device?.backend, config, model: current, images: total },
    {
      frozen: { epochs: values.frozenEpochs, bodyEpochs: bodyEpochsText },
      lrSteps,
      unfrozen: { epochs: values.unfrozenEpochs },
    },
  );

  const steps: StepView[] = [
    {
      id: 'fit1',
      hint: 'fit_one_cycle',
      controls: (
        <FrozenFitControls
          values={{ epochs: values.frozenEpochs, lr: values.frozenLr, bodyEpochs: bodyEpochsText, bodyLr }}
          onChange={(patch) => {
            if (patch.epochs !== undefined) change({ frozenEpochs: patch.epochs });
            if (patch.lr !== undefined) change({ frozenLr: patch.lr });
            if (patch.bodyEpochs !== undefined) change({ bodyEpochs: patch.bodyEpochs });
          }}
          model={current}
          disabled={locked}
          onRestartHead={() => void run('new', () => restartHead(bridge, current!, ensureModel))}
          onBodyOnly={offerBodyOnly ? () => void run('fit1', bodyOnly) : undefined}
        />
      ),
      estimate: estimates.fit1,
    },
    { id: 'save1', hint: 'learn.save' },
    { id: 'unfreeze', hint: 'learn.unfreeze' },
    {
      id: 'lrfind',
      hint: 'lr_find',
      controls: (
        <StepField
          label="steps"
          name="LR finder steps"
          value={lrSteps}
          onChange={setLrSteps}
          size={4}
          numeric
          title="fast.ai's num_it: the sweep's length. Fewer steps give a coarser curve, sooner; the sweep also stops early once the loss diverges."
        />
      ),
      estimate: estimates.lrfind,
    },
    {
      id: 'fit2',
      hint: 'fit_one_cycle, discriminative rates',
      controls: (
        <>
          <StepField
            label="epochs"
            name="Unfrozen epochs"
            value={values.unfrozenEpochs}
            onChange={(v) => change({ unfrozenEpochs: v })}
            size={3}
          />
          <StepField
            label="max lr"
            name="Unfrozen max lr"
            value={values.unfrozenLr}
            onChange={(v) => change({ unfrozenLr: v })}
            size={18}
          />
        </>
      ),
      estimate: estimates.fit2,
    },
    { id: 'save2', hint: 'learn.save' },
  ];

  const autosave = checkpoints.find((c) => c.name === AUTOSAVE_CHECKPOINT);
  const sweeping = job?.name === 'lrFind';
  return (
    <div className="train">
      <h2>Train</h2>
      <ModelPanel />
      {autosave && (!model || (model.epochs === 0 && model.saves.length === 0)) && (
        <p className="notice" data-testid="resume">
          A training run was saved after its last epoch ({autosave.stage}, {autosave.history.length} epochs).{' '}
          <button type="button" disabled={locked} onClick={() => loadCheckpoint(AUTOSAVE_CHECKPOINT)}>
            Resume it
          </button>
        </p>
      )}
      <TrainSettings
        config={config}
        device={device}
        model={current}
        seedValue={question?.kind === 'seed' ? question.seed : config.seed}
        onChange={changeConfig}
        onBackend={(backend) => void switchBackend(backend)}
      />
      {question && (
        <NewModelNotice question={question} onStartNew={startNewModel} onKeep={() => setQuestion(null)} />
      )}
      {stale && (
        <p className="muted small" data-testid="settings-pending">
          New settings apply from the next step; the trained model is kept.
        </p>
      )}
      <JobWaitNote job={waitingFor} />
      <RecipeChoice value={recipeId} disabled={locked} onChange={chooseRecipe} />
      <Recipe steps={steps} states={states} disabled={locked} onRun={runStep} />
      {notice && (
        <p ref={noticeLine} className="notice" role="status" data-testid="train-notice">
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
        <LossChart batchLosses={batchLosses} epochs={epochs} />
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
          frozenEpochs: Number(values.frozenEpochs),
          frozenLr: values.frozenLr,
          unfrozenEpochs: Number(values.unfrozenEpochs),
          unfrozenLr: values.unfrozenLr,
        }}
        disabled={locked}
      />
      <CheckpointsTable
        checkpoints={checkpoints}
        current={model?.savedAs ?? null}
        busy={locked}
        onLoad={loadCheckpoint}
      />
    </div>
  );
}

/** A line that scrolls into view each time `value` changes (and it is shown). */
function useIntoView(value: unknown) {
  const line = useRef<HTMLParagraphElement>(null);
  useEffect(() => {
    line.current?.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  }, [value]);
  return line;
}
