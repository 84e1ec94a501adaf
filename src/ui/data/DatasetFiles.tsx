// The dataset and the project as files: the portable dataset zip (images + labels.csv with split and
// hashes), the project zip (that dataset + the checkpoints ticked here + the download settings), or
// the URL lists + manifest as one zip. Importing is a drop of either zip on the drop zone above.
import { useState } from 'react';
import { datasetZip, projectZip, urlListsZip } from '../../data/exports';
import type { IngestSettings } from '../../protocol';
import { useCheckpoints } from '../train/useCheckpoints';
import { downloadBlob } from './files';

export function DatasetFiles({
  images,
  disabled,
  settings,
}: {
  images: number;
  disabled: boolean;
  settings: IngestSettings;
}) {
  const [busy, setBusy] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const checkpoints = useCheckpoints();
  /** Checkpoints left out of the project (all are in by default). */
  const [leftOut, setLeftOut] = useState<ReadonlySet<string>>(new Set());
  if (!images) return null;
  const chosen = checkpoints.map((c) => c.name).filter((n) => !leftOut.has(n));
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
  const toggle = (name: string) =>
    setLeftOut((old) => {
      const next = new Set(old);
      if (next.has(name)) next.delete(name);
      else next.add(name);
      return next;
    });
  return (
    <div className="card" data-testid="dataset-files">
      <h3>Dataset and project files</h3>
      <p className="small">
        The dataset zip holds every image in class folders and <code>labels.csv</code> (class, split, source
        URL, SHA-256), dropped local images included. The project zip adds the checkpoints ticked below (to
        continue training) and the download settings. Drop either on the zone above, here or in another
        browser, to get the same dataset and split back.
      </p>
      {checkpoints.length > 0 && (
        <fieldset className="row small">
          <legend>Checkpoints in the project</legend>
          {checkpoints.map((c) => (
            <label key={c.name}>
              <input type="checkbox" checked={!leftOut.has(c.name)} onChange={() => toggle(c.name)} />{' '}
              {c.name}
            </label>
          ))}
        </fieldset>
      )}
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
          onClick={run('Packing the project', () => projectZip(chosen, settings))}
          data-testid="export-project"
        >
          Export project (.zip, {chosen.length} checkpoint{chosen.length === 1 ? '' : 's'})
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
