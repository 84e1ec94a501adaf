import { useCallback, useEffect, useState } from 'react';
import type { Prediction } from '../../protocol';
import { humanLabel } from '../../ml/topk';
import { useBridge, useStudioState } from '../studio';
import { DropZone } from '../DropZone';

interface Outcome {
  name: string;
  previewUrl: string;
  predictions?: Prediction[];
  /** Which model answered: the trained classifier, or ImageNet before any training. */
  source?: 'classifier' | 'imagenet';
  error?: string;
}

/** The trained classifier if there is one; otherwise the pretrained ImageNet top 5. */
async function predict(
  bridge: ReturnType<typeof useBridge>,
  image: File,
): Promise<Pick<Outcome, 'predictions' | 'source'>> {
  try {
    const { classes, probabilities } = await bridge.request('classify', { image });
    const predictions = classes
      .map((label, index) => ({ index, label, probability: probabilities[index] }))
      .sort((a, b) => b.probability - a.probability);
    return { predictions, source: 'classifier' };
  } catch (error) {
    if (!/Prepare training first/.test((error as Error).message)) throw error;
    return { predictions: await bridge.request('classifyImage', { image, topK: 5 }), source: 'imagenet' };
  }
}

export function PredictTab() {
  const bridge = useBridge();
  const { model } = useStudioState();
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [busy, setBusy] = useState(false);

  const previewUrl = outcome?.previewUrl;
  useEffect(
    () => () => {
      if (previewUrl) URL.revokeObjectURL(previewUrl);
    },
    [previewUrl],
  );

  const classify = useCallback(
    async (files: File[]) => {
      const file = files[0];
      if (!file) return;
      const previewUrl = URL.createObjectURL(file);
      setOutcome({ name: file.name, previewUrl });
      setBusy(true);
      try {
        setOutcome({ name: file.name, previewUrl, ...(await predict(bridge, file)) });
      } catch (error) {
        setOutcome({ name: file.name, previewUrl, error: (error as Error).message });
      } finally {
        setBusy(false);
      }
    },
    [bridge],
  );

  return (
    <div className="predict">
      <h2>Predict</h2>
      <p className="muted">
        With a trained (or loaded) classifier: its class probabilities. Before that: what the pretrained
        ImageNet ResNet50 sees (top 5).
      </p>
      <DropZone
        accept="image/*"
        onFiles={classify}
        disabled={model.kind !== 'ready' || busy}
        label="Drop, pick or paste an image"
        testId="predict-drop"
      />
      {outcome && (
        <div className="prediction" data-testid="prediction">
          <img src={outcome.previewUrl} alt={outcome.name} className="preview" />
          <div className="prediction-body">
            <div className="file-name">{outcome.name}</div>
            {busy && <div className="muted">Classifying…</div>}
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
              <ol
                className="bars"
                data-testid={outcome.source === 'classifier' ? 'class-probabilities' : 'top5'}
              >
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
      )}
    </div>
  );
}
