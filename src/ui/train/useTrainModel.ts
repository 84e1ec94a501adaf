// The Train tab's model and its settings: which model the next step trains (the current one with
// new settings, or a new one), settings that follow a loaded model or an imported split, and the
// questions asked before a change that needs a new model (a new split seed, changed classes).
import { useEffect, useRef, useState } from 'react';
import { getMeta, openStudioDb } from '../../data/db';
import { STORES } from '../../data/schema';
import { DEFAULT_TRAIN_CONFIG, type DeviceInfo, type ModelSummary, type TrainConfig } from '../../protocol';
import { useClassCounts } from '../shared/useClassCounts';
import { useStoreVersion } from '../shared/useStoreVersion';
import { useBridge } from '../studio';

/** Why the next step needs a new model, waiting for the user's choice. */
export type NewModelQuestion =
  { kind: 'seed'; seed: number } | { kind: 'classes'; added: string[]; removed: string[] };

function sameClasses(model: ModelSummary, counts: Map<string, number>): boolean {
  const stored = [...counts.entries()].filter(([, n]) => n > 0).map(([c]) => c);
  return stored.length === 0 || [...stored].sort().join('\n') === [...model.classes].sort().join('\n');
}

type Run = (id: 'new', action: () => Promise<string | void>) => Promise<boolean>;

export function useTrainModel(model: ModelSummary | null, device: DeviceInfo | null, run: Run) {
  const bridge = useBridge();
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
  /** The stored classes differ from the model's: what was added and removed (null: the same). */
  const classChange = (() => {
    if (!usable || counts === null || sameClasses(model, counts)) return null;
    const stored = [...counts.keys()];
    return {
      added: stored.filter((c) => !model.classes.includes(c)),
      removed: model.classes.filter((c) => !stored.includes(c)),
    };
  })();

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

  return {
    config,
    changeConfig,
    stale,
    /** The model the next step trains, or null: the next step starts a new one. */
    current: usable ? model : null,
    counts,
    classChange,
    question,
    setQuestion,
    ensureModel,
    startNewModel,
    setStartFresh,
  };
}
