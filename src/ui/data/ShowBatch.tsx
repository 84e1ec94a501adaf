import { useEffect, useMemo, useState } from 'react';
import { openStudioDb } from '../../data/db';
import { getImages, imageBlob, imageIds } from '../../data/images';
import { STORES } from '../../data/schema';
import type { ImageRecord } from '../../data/schema';
import { useObjectUrl } from '../useObjectUrl';
import { Modal } from '../shared/Modal';
import { deleteWithUndo, relabelWithUndo } from '../shared/image-actions';
import { useStoreVersion } from '../shared/useStoreVersion';

function shuffled<T>(items: T[], seed: number): T[] {
  const out = [...items];
  let s = seed || 1;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 16807) % 2147483647;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/**
 * fast.ai's show_batch: a grid of samples with their labels, to browse and fix the data. Live: it
 * re-reads the store whenever images change (here, in a worker or in another tab).
 */
export function ShowBatch({
  counts,
  settled,
  onChanged,
}: {
  counts: Map<string, number>;
  settled: boolean;
  onChanged(): void;
}) {
  const [ids, setIds] = useState<number[]>([]);
  const [images, setImages] = useState<ImageRecord[]>([]);
  const [rows, setRows] = useState(3);
  const [cols, setCols] = useState(5);
  const [seed, setSeed] = useState(1);
  const [filter, setFilter] = useState('');
  const [large, setLarge] = useState<ImageRecord | null>(null);
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  const version = useStoreVersion(STORES.images);

  useEffect(() => {
    if (!settled) return; // reading the store while downloads write it would slow both
    let live = true;
    void openStudioDb()
      .then((db) => imageIds(db, filter || undefined))
      .then((all) => live && setIds(all));
    return () => {
      live = false;
    };
  }, [filter, total, settled, version]);

  // Only the sampled images are read (ids come from keys): a 5,000-image store is not copied here.
  const sampleKey = useMemo(
    () =>
      shuffled(ids, seed)
        .slice(0, rows * cols)
        .join(','),
    [ids, seed, rows, cols],
  );
  useEffect(() => {
    let live = true;
    void openStudioDb()
      .then((db) => getImages(db, sampleKey ? sampleKey.split(',').map(Number) : []))
      .then((found) => live && setImages(found));
    return () => {
      live = false;
    };
  }, [sampleKey, version]);
  const sample = images;
  const urls = useMemo(
    () => new Map(sample.map((i) => [i.id!, URL.createObjectURL(imageBlob(i))])),
    [sample],
  );
  useEffect(() => () => urls.forEach((u) => URL.revokeObjectURL(u)), [urls]);
  const largeBlob = useMemo(() => (large ? imageBlob(large) : null), [large]);
  const largeUrl = useObjectUrl(largeBlob);

  if (!total) return null;
  const classes = [...counts.keys()];
  const edit = async (action: () => Promise<unknown>) => {
    await action();
    setLarge(null);
    onChanged();
  };

  return (
    <div className="card" data-testid="show-batch">
      <div className="row">
        <h3>
          Batch preview <span className="hint">(show_batch)</span>
        </h3>
        <label>
          Class{' '}
          <select value={filter} onChange={(e) => setFilter(e.target.value)} aria-label="Filter by class">
            <option value="">all</option>
            {classes.map((c) => (
              <option key={c}>{c}</option>
            ))}
          </select>
        </label>
        <label>
          Rows{' '}
          <input
            type="number"
            min={1}
            max={10}
            value={rows}
            onChange={(e) => setRows(Number(e.target.value) || 1)}
          />
        </label>
        <label>
          Columns{' '}
          <input
            type="number"
            min={1}
            max={10}
            value={cols}
            onChange={(e) => setCols(Number(e.target.value) || 1)}
          />
        </label>
        <button type="button" onClick={() => setSeed((s) => s + 1)}>
          Reshuffle
        </button>
      </div>
      <div className="grid" style={{ gridTemplateColumns: `repeat(${cols}, 1fr)` }}>
        {sample.map((image) => (
          <figure key={image.id} className="thumb" data-testid="thumb">
            <button
              type="button"
              className="thumb-button"
              onClick={() => setLarge(image)}
              aria-label={`Open image ${image.id}`}
            >
              <img src={urls.get(image.id!)} alt={image.className} />
            </button>
            <figcaption>{image.className}</figcaption>
          </figure>
        ))}
      </div>
      {large && (
        <Modal label={`${large.className} image`} onClose={() => setLarge(null)}>
          <div className="lightbox-body">
            <img src={largeUrl} alt={large.className} />
            <p className="small">
              {large.width}×{large.height} · <code>{large.url}</code>
            </p>
            <div className="row">
              <label>
                Class{' '}
                <select
                  aria-label="Relabel"
                  value={large.className}
                  onChange={(e) => void edit(() => relabelWithUndo(large.id!, e.target.value))}
                >
                  {classes.map((c) => (
                    <option key={c}>{c}</option>
                  ))}
                </select>
              </label>
              <button
                type="button"
                className="danger"
                onClick={() => void edit(() => deleteWithUndo(large.id!))}
              >
                Delete
              </button>
              <button type="button" onClick={() => setLarge(null)}>
                Close
              </button>
            </div>
          </div>
        </Modal>
      )}
    </div>
  );
}
