import { useCallback, useEffect, useRef, useState } from 'react';
import { clearDataset, openStudioDb } from '../../data/db';
import { unfinishedJobs } from '../../data/jobs';
import { ConfirmButton } from '../shared/ConfirmButton';
import { DEFAULT_INGEST_SETTINGS, type IngestSettings } from '../../protocol';
import { useBridge, useStudioState } from '../studio';
import {
  classFromPath,
  filesFromDrop,
  filesFromInput,
  isImageFile,
  isUrlListFile,
  isZipFile,
  type DroppedFile,
} from './files';
import { IngestProgressView } from './IngestProgressView';
import { ListError } from './list-parser';
import { PendingTable } from './PendingTable';
import { usePendingLists } from './usePendingLists';
import { ReportTable } from './ReportTable';
import { SettingsPanel } from './SettingsPanel';
import { ShowBatch } from './ShowBatch';
import { DatasetFiles } from './DatasetFiles';
import { useDataset } from './useDataset';

export function DataTab() {
  const bridge = useBridge();
  const { ingest } = useStudioState();
  const dataset = useDataset();
  const running = ingest?.running ?? false;
  const lists = usePendingLists(running);
  const [settings, setSettings] = useState<IngestSettings>(() => ({
    ...DEFAULT_INGEST_SETTINGS,
    ...readSavedSettings(),
  }));
  const [notice, setNotice] = useState<string | null>(null);
  const [over, setOver] = useState(false);
  const folderInput = useRef<HTMLInputElement>(null);
  const fileInput = useRef<HTMLInputElement>(null);

  const startJobs = useCallback(
    async (jobIds: number[], chosen: IngestSettings) => {
      try {
        const result = await bridge.request('ingest', { jobIds, settings: chosen });
        // A run's own outcome (stopped, storage full) is shown once, in its progress card.
        setNotice(
          result.elsewhere
            ? 'Another tab of the studio is downloading: its progress is shown here, and this tab takes over if that one closes.'
            : null,
        );
      } catch (error) {
        setNotice((error as Error).message);
      }
      dataset.refresh();
    },
    [bridge, dataset],
  );

  // A reload in the middle of a download: pick the unfinished jobs up again.
  const resumed = useRef(false);
  useEffect(() => {
    if (resumed.current) return;
    resumed.current = true;
    void (async () => {
      const jobs = await unfinishedJobs(await openStudioDb());
      if (!jobs.length) return;
      setNotice(`Resuming ${jobs.length} interrupted download${jobs.length > 1 ? 's' : ''}…`);
      void startJobs([], { ...DEFAULT_INGEST_SETTINGS, ...readSavedSettings() });
    })();
  }, [startJobs]);

  const addFiles = async (files: DroppedFile[]) => {
    const zips = files.filter((f) => isZipFile(f.file));
    const listFiles = files.filter((f) => isUrlListFile(f.file));
    const images = files.filter((f) => isImageFile(f.file));
    const ignored = files.length - zips.length - listFiles.length - images.length;
    try {
      for (const zip of zips) await importZip(zip.file);
      await lists.add(listFiles);
      if (images.length) {
        setNotice(`Verifying ${images.length} image file${images.length > 1 ? 's' : ''}…`);
        const result = await bridge.request('importImages', {
          images: images.map((f) => ({ className: classFromPath(f.path), path: f.path, file: f.file })),
          maxSize: settings.maxSize,
        });
        const plural = (n: number) => (n === 1 ? '' : 's');
        setNotice(
          result.message ??
            `Added ${result.stored} image${plural(result.stored)}${result.failed ? `, ${result.failed} rejected (see the report)` : ''}.`,
        );
        dataset.refresh();
      } else if (!zips.length) setNotice(null);
      if (ignored)
        setNotice(
          `${ignored} file${ignored > 1 ? 's were' : ' was'} neither a URL list (.csv/.txt), an image nor a dataset .zip.`,
        );
    } catch (error) {
      lists.setReading(null);
      setNotice(
        error instanceof ListError && error.code === 'storage-full'
          ? 'The browser storage is full: the dropped list could not be kept. Free space, then drop it again.'
          : `Could not read the dropped files: ${(error as Error).message}`,
      );
    }
  };

  const importZip = async (file: File) => {
    setNotice(`Importing ${file.name}…`);
    const r = await bridge.request('importDataset', { file });
    const plural = (n: number) => (n === 1 ? '' : 's');
    const parts = [`Imported ${r.stored} image${plural(r.stored)} from ${file.name}`];
    if (r.duplicates) parts.push(`${r.duplicates} already here`);
    if (r.rejected.length)
      parts.push(
        `${r.rejected.length} rejected (${r.rejected.slice(0, 3).join('; ')}${r.rejected.length > 3 ? '; …' : ''})`,
      );
    if (r.splitSeed !== undefined && r.stored) parts.push(`split of seed ${r.splitSeed} kept`);
    if (r.checkpoints.length)
      parts.push(`checkpoints ${r.checkpoints.join(', ')} (load one on the Train tab to continue)`);
    if (r.ingestSettings && typeof r.ingestSettings === 'object') {
      const restored = { ...DEFAULT_INGEST_SETTINGS, ...(r.ingestSettings as Partial<IngestSettings>) };
      setSettings(restored);
      localStorage.setItem('ingest-settings', JSON.stringify(restored));
    }
    setNotice(r.message ?? `${parts.join(', ')}.`);
    dataset.refresh();
  };

  const start = async () => {
    const ids = await lists.take();
    localStorage.setItem('ingest-settings', JSON.stringify(settings));
    setNotice(null);
    void navigator.storage?.persist?.();
    await startJobs(ids, settings);
  };

  const toDownload = lists.pending.reduce((n, l) => n + Math.min(l.urlCount, settings.maxPerClass), 0);
  return (
    <div className="data-tab">
      <h2>Data</h2>
      <div
        className={`drop-zone${over ? ' over' : ''}`}
        data-testid="data-drop"
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={(e) => {
          e.preventDefault();
          setOver(false);
          void filesFromDrop(e.dataTransfer).then(addFiles);
        }}
      >
        <p>
          Drop URL lists (<code>urls_&lt;class&gt;.csv</code>, one per class), image files, folders of images
          (class = folder name), or a dataset <code>.zip</code> exported here.
        </p>
        <button type="button" onClick={() => fileInput.current?.click()}>
          Choose files…
        </button>{' '}
        <button type="button" onClick={() => folderInput.current?.click()}>
          Choose folder…
        </button>
        <input
          ref={fileInput}
          type="file"
          multiple
          hidden
          data-testid="data-files"
          accept=".csv,.txt,.tsv,.zip,image/*"
          onChange={(e) => {
            void addFiles(filesFromInput(e.target.files));
            e.target.value = '';
          }}
        />
        <input
          ref={folderInput}
          type="file"
          hidden
          multiple
          {...{ webkitdirectory: '' }}
          onChange={(e) => {
            void addFiles(filesFromInput(e.target.files));
            e.target.value = '';
          }}
        />
      </div>
      {lists.reading && (
        <p className="notice" role="status" data-testid="reading">
          {lists.reading}
        </p>
      )}

      {lists.pending.length > 0 && (
        <div className="card" data-testid="pending">
          <h3>Ready to download</h3>
          <PendingTable
            pending={lists.pending}
            onRename={lists.rename}
            onRemove={(id) => void lists.remove(id)}
          />
          <SettingsPanel settings={settings} onChange={setSettings} />
          <button type="button" className="primary" disabled={running} onClick={() => void start()}>
            Download {toDownload} images
          </button>
        </div>
      )}

      {notice && (
        <p className="notice" role="status" data-testid="data-notice">
          {notice}
        </p>
      )}
      {lists.stopped.length > 0 && !running && (
        <p className="notice" data-testid="ingest-resume">
          {lists.stopped.length} download{lists.stopped.length > 1 ? 's' : ''} stopped before the end.{' '}
          <button type="button" onClick={() => void startJobs(lists.takeStopped(), settings)}>
            Resume
          </button>
        </p>
      )}
      {ingest && (
        <IngestProgressView progress={ingest} onCancel={() => void bridge.request('ingestCancel', {})} />
      )}
      <ReportTable
        counts={dataset.counts}
        relayed={dataset.relayed}
        failures={dataset.failures}
        usage={dataset.usage}
      />
      <ShowBatch counts={dataset.counts} settled={dataset.settled ?? true} onChanged={dataset.refresh} />
      <DatasetFiles
        images={[...dataset.counts.values()].reduce((a, b) => a + b, 0)}
        disabled={running}
        settings={settings}
      />
      {dataset.counts.size > 0 && (
        <p className="row small">
          <ConfirmButton
            label="Clear dataset…"
            question={`Delete all ${[...dataset.counts.values()].reduce((a, b) => a + b, 0)} images, the download report and pending lists? Checkpoints stay.`}
            confirmLabel="Delete everything"
            disabled={running}
            testId="clear-dataset"
            onConfirm={() =>
              void openStudioDb()
                .then(clearDataset)
                .then(() => setNotice('The dataset was cleared.'))
            }
          />
        </p>
      )}
    </div>
  );
}

function readSavedSettings(): Partial<IngestSettings> {
  try {
    return JSON.parse(localStorage.getItem('ingest-settings') ?? '{}') as Partial<IngestSettings>;
  } catch {
    return {};
  }
}
