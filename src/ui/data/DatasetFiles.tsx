// The dataset as files: export it as one portable zip (images + labels.csv with split and hashes),
// or its URL lists + manifest as one zip. Importing is a drop of that zip on the drop zone above.
import { useState } from 'react';
import { datasetZip, urlListsZip } from '../../data/exports';
import { downloadBlob } from './files';

export function DatasetFiles({ images, disabled }: { images: number; disabled: boolean }) {
  const [busy, setBusy] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  if (!images) return null;
  const run = (label: string, make: () => Promise<{ blob: Blob; fileName: string }>) => async () => {
    setBusy(label);
    setStatus(`${label}…`);
    try {
      const { blob, fileName } = await make();
      downloadBlob(fileName, blob);
      setStatus(`Saved ${fileName} (${(blob.size / 1e6).toFixed(1)} MB).`);
    } catch (error) {
      setStatus(`Could not export: ${(error as Error).message}`);
    } finally {
      setBusy(null);
    }
  };
  return (
    <div className="card" data-testid="dataset-files">
      <h3>Dataset files</h3>
      <p className="small">
        The dataset zip holds every image in class folders and <code>labels.csv</code> (class, split, source
        URL, SHA-256), dropped local images included. Drop it on the zone above, here or in another browser,
        to get the same dataset and split back.
      </p>
      <div className="row">
        <button
          type="button"
          disabled={disabled || busy !== null}
          onClick={run('Packing the dataset', datasetZip)}
          data-testid="export-dataset"
        >
          Export dataset (.zip)
        </button>
        <button
          type="button"
          disabled={disabled || busy !== null}
          onClick={run('Packing the URL lists', urlListsZip)}
          data-testid="export-url-lists"
        >
          Export URL lists + manifest (.zip)
        </button>
        {status && (
          <span className="small" role="status" data-testid="dataset-files-status">
            {status}
          </span>
        )}
      </div>
    </div>
  );
}
