import { useCallback, useEffect, useRef, useState } from 'react';
import { addJob, openStudioDb, unfinishedJobs } from '../../data/db';
import { parseUrlList, type ParsedUrlList } from '../../data/url-list';
import { DEFAULT_INGEST_SETTINGS, type IngestSettings } from '../../protocol';
import { useBridge, useStudioState } from '../studio';
import {
  classFromPath,
  filesFromDrop,
  filesFromInput,
  isImageFile,
  isUrlListFile,
  type DroppedFile,
} from './files';
import { IngestProgressView } from './IngestProgressView';
import { ReportTable } from './ReportTable';
import { SettingsPanel } from './SettingsPanel';
import { ShowBatch } from './ShowBatch';
import { useDataset } from './useDataset';

interface PendingList extends ParsedUrlList {
  key: string;
  fileName: string;
}

export function DataTab() {
  const bridge = useBridge();
  const { ingest } = useStudioState();
  const dataset = useDataset();
  const [pending, setPending] = useState<PendingList[]>([]);
  const [settings, setSettings] = useState<IngestSettings>(DEFAULT_INGEST_SETTINGS);
  const [notice, setNotice] = useState<string | null>(null);
  const [over, setOver] = useState(false);
  const folderInput = useRef<HTMLInputElement>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const running = ingest?.running ?? false;

  const startJobs = useCallback(
    async (jobIds: number[], chosen: IngestSettings) => {
      try {
        const result = await bridge.request('ingest', { jobIds, settings: chosen });
        setNotice(result.message ?? null);
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
      void startJobs(
        jobs.map((j) => j.id!),
        { ...DEFAULT_INGEST_SETTINGS, ...readSavedSettings() },
      );
    })();
  }, [startJobs]);

  const addFiles = async (files: DroppedFile[]) => {
    const lists = files.filter((f) => isUrlListFile(f.file));
    const images = files.filter((f) => isImageFile(f.file));
    const parsed = await Promise.all(
      lists.map(async ({ file, path }) => ({
        ...parseUrlList(await file.text(), file.name),
        fileName: file.name,
        key: `${path}-${Date.now()}`,
      })),
    );
    setPending((current) => [...current, ...parsed]);
    if (images.length) {
      setNotice(`Verifying ${images.length} image file${images.length > 1 ? 's' : ''}…`);
      const result = await bridge.request('importImages', {
        images: images.map((f) => ({ className: classFromPath(f.path), path: f.path, file: f.file })),
        maxSize: settings.maxSize,
      });
      setNotice(
        `Added ${result.stored} image${result.stored === 1 ? '' : 's'}${result.failed ? `, ${result.failed} rejected` : ''}.`,
      );
      dataset.refresh();
    }
    const ignored = files.length - lists.length - images.length;
    if (ignored)
      setNotice(
        `${ignored} file${ignored > 1 ? 's were' : ' was'} neither a URL list (.csv/.txt) nor an image.`,
      );
  };

  const start = async () => {
    const db = await openStudioDb();
    const ids: number[] = [];
    for (const list of pending) {
      ids.push(
        await addJob(db, {
          className: list.className.trim() || 'unnamed',
          fileName: list.fileName,
          urls: list.urls,
          skipped: list.skipped,
          status: 'queued',
          createdAt: Date.now(),
        }),
      );
    }
    localStorage.setItem('ingest-settings', JSON.stringify(settings));
    setPending([]);
    setNotice(null);
    void navigator.storage?.persist?.();
    await startJobs(ids, settings);
  };

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
          Drop URL lists (<code>urls_&lt;class&gt;.csv</code>, one per class), image files, or folders of
          images (class = folder name).
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
          accept=".csv,.txt,.tsv,image/*"
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

      {pending.length > 0 && (
        <div className="card" data-testid="pending">
          <h3>Ready to download</h3>
          <table className="table">
            <thead>
              <tr>
                <th>File</th>
                <th>Class</th>
                <th>URLs</th>
                <th>Skipped</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {pending.map((list) => (
                <tr key={list.key}>
                  <td>{list.fileName}</td>
                  <td>
                    <input
                      aria-label={`Class for ${list.fileName}`}
                      value={list.className}
                      onChange={(e) =>
                        setPending((all) =>
                          all.map((l) => (l.key === list.key ? { ...l, className: e.target.value } : l)),
                        )
                      }
                    />
                  </td>
                  <td>{list.urls.length}</td>
                  <td title="blank / duplicate / not http(s)">
                    {list.skipped.blank} blank · {list.skipped.duplicate} duplicate · {list.skipped.invalid}{' '}
                    invalid
                  </td>
                  <td>
                    <button
                      type="button"
                      aria-label={`Remove ${list.fileName}`}
                      onClick={() => setPending((all) => all.filter((l) => l.key !== list.key))}
                    >
                      Remove
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <SettingsPanel settings={settings} onChange={setSettings} />
          <button type="button" className="primary" disabled={running} onClick={() => void start()}>
            Download {pending.reduce((n, l) => n + Math.min(l.urls.length, settings.maxPerClass), 0)} images
          </button>
        </div>
      )}

      {notice && (
        <p className="notice" role="status" data-testid="data-notice">
          {notice}
        </p>
      )}
      {ingest && (
        <IngestProgressView progress={ingest} onCancel={() => void bridge.request('ingestCancel', {})} />
      )}
      <ReportTable counts={dataset.counts} failures={dataset.failures} usage={dataset.usage} />
      <ShowBatch counts={dataset.counts} settled={dataset.settled ?? true} onChanged={dataset.refresh} />
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
