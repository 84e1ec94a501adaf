import { useCallback, useEffect, useState } from 'react';
import { failureCode, MODEL_EXPORT_FORMATS, type ModelExportFormat, type Prediction } from '../../protocol';
import { ModelPanel, modelName } from '../ModelPanel';
import { JobWaitNote } from '../shared/JobWaitNote';
import { useAction } from '../shared/useAction';
import { ImportModelButton, importClassifier } from '../shared/ImportModel';
import { useCheckpoints } from '../train/useCheckpoints';
import { humanLabel } from '../../ml/topk';
import { useBridge, useStudioState } from '../studio';
import { DropZone } from '../DropZone';
import { downloadBlob } from '../data/files';

interface Outcome {
  name: string;
  previewUrl: string;
  predictions?: Prediction[];
  /** Which model answered: the trained classifier, or ImageNet before any training. */
  source?: 'classifier' | 'imagenet';
  /** That model, in words. */
  model?: string;
  error?: string;
}

/** The trained classifier if there is one; otherwise the pretrained ImageNet top 5. */
async function predict(
  bridge: ReturnType<typeof useBridge>,
  image: File,
  tta: boolean,
): Promise<Pick<Outcome, 'predictions' | 'source' | 'model'>> {
  try {
    const { classes, probabilities } = await bridge.request('classify', { image, tta });
    const predictions = classes
      .map((label, index) => ({ index, label, probability: probabilities[index] }))
      .sort((a, b) => b.probability - a.probability);
    return { predictions, source: 'classifier', model: modelName(bridge.getSnapshot().learner) };
  } catch (error) {
    if (failureCode(error) !== 'no-model') throw error;
    return {
      predictions: await bridge.request('classifyImage', { image, topK: 5 }),
      source: 'imagenet',
      model: 'the pretrained ImageNet ResNet50 (no classifier trained yet)',
    };
  }
}

export function PredictTab() {
  const bridge = useBridge();
  const { model } = useStudioState();
  const [outcomes, setOutcomes] = useState<Outcome[]>([]);
  const [busy, setBusy] = useState(false);
  const [tta, setTta] = useState(false);
  const {
    locked,
    waitingFor,
    message: notice,
    setMessage: setNotice,
    run,
  } = useAction<'export' | 'import'>();
  const [exportFrom, setExportFrom] = useState('');
  const [exportFormat, setExportFormat] = useState<ModelExportFormat>('artmodel');
  const checkpoints = useCheckpoints();

  useEffect(() => () => outcomes.forEach((o) => URL.revokeObjectURL(o.previewUrl)), [outcomes]);

  /** The images of the latest drop, each with its own result card. */
  const classify = useCallback(
    async (files: File[]) => {
      if (!files.length) return;
      const pending: Outcome[] = files.map((f) => ({ name: f.name, previewUrl: URL.createObjectURL(f) }));
      setOutcomes(pending);
      setNotice(null); // an old error never sits above new results
      setBusy(true);
      const done: Outcome[] = [];
      for (const [i, file] of files.entries()) {
        try {
          done.push({ ...pending[i], ...(await predict(bridge, file, tta)) });
        } catch (error) {
          done.push({ ...pending[i], error: (error as Error).message });
        }
        setOutcomes([...done, ...pending.slice(i + 1)]);
      }
      setBusy(false);
    },
    [bridge, tta, setNotice],
  );

  const exportModel = () =>
    run('export', async () => {
      const { file, fileName, source } = await bridge.request(
        'exportModel',
        exportFrom ? { checkpoint: exportFrom, format: exportFormat } : { format: exportFormat },
      );
      downloadBlob(fileName, file);
      const which = exportFrom ? source : `${source}, ${modelName(bridge.getSnapshot().learner)}`;
      return `Exported ${which} as ${fileName} (${(file.size / 1e6).toFixed(0)} MB).`;
    });

  const importModel = (file: File) => run('import', () => importClassifier(bridge, file));

  return (
    <div className="predict">
      <div className="row">
        <h2>Predict</h2>
        <label>
          Export{' '}
          <select
            aria-label="Model to export"
            value={exportFrom}
            onChange={(e) => setExportFrom(e.target.value)}
          >
            <option value="">the current model</option>
            {checkpoints.map((c) => (
              <option key={c.name} value={c.name}>
                checkpoint {c.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          as{' '}
          <select
            aria-label="Export format"
            value={exportFormat}
            onChange={(e) => setExportFormat(e.target.value as ModelExportFormat)}
          >
            {Object.entries(MODEL_EXPORT_FORMATS).map(([key, f]) => (
              <option key={key} value={key}>
                {f.label}
              </option>
            ))}
          </select>
        </label>
        <button type="button" disabled={locked} onClick={() => void exportModel()} data-testid="export-model">
          Export classifier
        </button>
        <ImportModelButton
          label="Import classifier…"
          testId="import-model"
          disabled={locked}
          onFile={(file) => void importModel(file)}
        />
        <label>
          <input type="checkbox" checked={tta} onChange={(e) => setTta(e.target.checked)} /> Test-time
          augmentation
        </label>
      </div>
      <JobWaitNote job={waitingFor} />
      <ModelPanel />
      <p className="muted">
        With a trained (or imported) classifier: its class probabilities. Before that: what the pretrained
        ImageNet ResNet50 sees (top 5).
      </p>
      {notice && (
        <p className={notice.error ? 'error' : 'notice'} role="status" data-testid="predict-notice">
          {notice.text}
        </p>
      )}
      <DropZone
        accept="image/*"
        multiple
        onFiles={classify}
        disabled={model.kind !== 'ready' || busy}
        label="Drop, pick or paste images"
        testId="predict-drop"
      />
      {outcomes.map((outcome) => (
        <OutcomeCard key={outcome.previewUrl} outcome={outcome} />
      ))}
    </div>
  );
}

function OutcomeCard({ outcome }: { outcome: Outcome }) {
  const pending = !outcome.predictions && !outcome.error;
  return (
    <div className="prediction" data-testid="prediction">
      <img src={outcome.previewUrl} alt={outcome.name} className="preview" />
      <div className="prediction-body">
        <div className="file-name">{outcome.name}</div>
        {pending && <div className="muted">Classifying…</div>}
        {outcome.model && (
          <div className="muted small" data-testid="answered-by">
            Answered by {outcome.model}.
          </div>
        )}
        {outcome.error && (
          <div className="error" role="alert" data-testid="predict-error">
            {outcome.error}
          </div>
        )}
        {outcome.predictions && outcome.source === 'classifier' && (
          <p data-testid="top3-words">
            Most likely{' '}
            {outcome.predictions
              .slice(0, 3)
              .map((p) => `${humanLabel(p.label)} (${(p.probability * 100).toFixed(0)}%)`)
              .join(', then ')}
            .
          </p>
        )}
        {outcome.predictions && (
          <ol className="bars" data-testid={outcome.source === 'classifier' ? 'class-probabilities' : 'top5'}>
            {outcome.predictions.map((p) => (
              <li key={p.index}>
                <span className="bar-label">{humanLabel(p.label)}</span>
                <span className="bar">
                  <span className="bar-fill" style={{ width: `${(p.probability * 100).toFixed(1)}%` }} />
                </span>
                <span className="bar-value">{(p.probability * 100).toFixed(1)}%</span>
              </li>
            ))}
          </ol>
        )}
      </div>
    </div>
  );
}
