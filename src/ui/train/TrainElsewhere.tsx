// "Train elsewhere": the dataset, the current model and this recipe as one zip with a PyTorch
// script (one GPU, many GPUs or many machines via torchrun); its trained model comes back here as a
// checkpoint (model.artmodel), for Interpret, cleaning and Predict.
import { useEffect, useRef, useState } from 'react';
import type { RecipeStages, TrainConfig } from '../../protocol';
import { downloadBlob } from '../data/files';
import { useBridge } from '../studio';
import { ImportModelButton, importClassifier } from '../shared/ImportModel';

export function TrainElsewhere({
  config,
  stages,
  disabled,
}: {
  config: TrainConfig;
  stages: RecipeStages;
  disabled: boolean;
}) {
  const bridge = useBridge();
  const [status, setStatus] = useState<{ text: string; error?: boolean } | null>(null);
  const [fileName, setFileName] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const statusLine = useRef<HTMLParagraphElement>(null);
  // Loading a model fills the epoch table above: keep the outcome where the user is looking.
  useEffect(() => {
    statusLine.current?.scrollIntoView({ block: 'center', behavior: 'smooth' });
  }, [status]);

  const run = async (label: string, action: () => Promise<string>) => {
    setBusy(true);
    setStatus({ text: `${label}…` });
    try {
      setStatus({ text: await action() });
    } catch (error) {
      setStatus({ text: `${label} failed: ${(error as Error).message}`, error: true });
    } finally {
      setBusy(false);
    }
  };

  const download = () =>
    run('Writing the PyTorch bundle', async () => {
      const { file, fileName, source, images } = await bridge.request('trainBundle', { config, stages });
      downloadBlob(fileName, file);
      setFileName(fileName);
      return `Saved ${fileName} (${(file.size / 1e6).toFixed(0)} MB): ${images} images, starting from ${source}.`;
    });

  const importModel = (file: File) => run(`Importing ${file.name}`, () => importClassifier(bridge, file));

  const bundle = fileName ?? 'train-elsewhere.zip';
  return (
    <section className="card" data-testid="train-elsewhere" aria-labelledby="train-elsewhere-title">
      <h3 id="train-elsewhere-title">Train elsewhere (PyTorch)</h3>
      <p className="small">
        For more images, 224 px or many epochs: one zip with your dataset and split, the current model (or
        ImageNet weights and a new head), this recipe ({stages.frozenEpochs} frozen + {stages.unfrozenEpochs}{' '}
        unfrozen epochs, {config.size} px, batch {config.batchSize}) and <code>train.py</code>, which runs it
        with PyTorch on a GPU, several GPUs or several machines:
      </p>
      <pre className="small">
        python train.py {bundle}
        {'\n'}torchrun --nproc_per_node=4 train.py {bundle}
      </pre>
      <div className="row">
        <button type="button" onClick={() => void download()} disabled={disabled || busy}>
          Download PyTorch bundle (.zip)
        </button>
        <ImportModelButton
          label="Import trained model (.artmodel)…"
          testId="import-trained"
          disabled={disabled || busy}
          onFile={(file) => void importModel(file)}
        />
      </div>
      {status && (
        <p
          ref={statusLine}
          className={`${status.error ? 'error' : 'notice'} outcome`}
          role="status"
          data-testid="train-elsewhere-status"
        >
          {status.text}
        </p>
      )}
    </section>
  );
}
