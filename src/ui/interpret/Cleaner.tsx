// fast.ai's ImageCleaner: walk the top losses, or every image of one class, and keep / delete /
// relabel each; every change goes to the IndexedDB dataset at once, with an undo for a few seconds.
import { useEffect, useMemo, useState } from 'react';
import { openStudioDb } from '../../data/db';
import { imageIds } from '../../data/images';
import { STORES } from '../../data/schema';
import { topLosses } from '../../ml/metrics';
import type { GradCamMap, Interpretation } from '../../protocol';
import { useBridge, useStudioState } from '../studio';
import { HeatOverlay } from './HeatOverlay';
import { useImageUrls } from './useImageUrls';
import { deleteWithUndo, relabelWithUndo } from '../shared/image-actions';
import { useStoreVersion } from '../shared/useStoreVersion';
import { loss } from '../train/format';

const TOP_LOSSES = '__top_losses__';

/** Ids of one class's stored images, re-read when `version` changes. */
function useClassIds(className: string | null, version: number): number[] {
  const [ids, setIds] = useState<number[]>([]);
  useEffect(() => {
    let live = true;
    if (className === null) setIds([]);
    else
      void openStudioDb()
        .then((db) => imageIds(db, className))
        .then((found) => live && setIds(found));
    return () => {
      live = false;
    };
  }, [className, version]);
  return ids;
}

/**
 * Grad-CAM maps of the given images from the worker (empty while off or loading). While a job runs on
 * the model the worker refuses them (one job at a time): they are asked for when it ends.
 */
function useGradCams(ids: number[]): Map<number, GradCamMap> {
  const bridge = useBridge();
  const jobRuns = useStudioState().job !== null;
  const [maps, setMaps] = useState(new Map<number, GradCamMap>());
  const key = ids.join(',');
  useEffect(() => {
    let live = true;
    if (!key) setMaps(new Map());
    else if (!jobRuns)
      bridge.request('gradCam', { ids: key.split(',').map(Number) }).then(
        (found) => live && setMaps(new Map(found.map((m) => [m.id, m]))),
        () => live && setMaps(new Map()),
      );
    return () => {
      live = false;
    };
  }, [bridge, key, jobRuns]);
  return maps;
}

export function Cleaner({ data, existing }: { data: Interpretation; existing: Set<number> | null }) {
  const [k, setK] = useState(9);
  const [source, setSource] = useState(TOP_LOSSES);
  const [reviewed, setReviewed] = useState(new Set<number>());
  const version = useStoreVersion(STORES.images);
  const className = source === TOP_LOSSES ? null : source;
  const classIds = useClassIds(className, version);
  const validIndex = useMemo(() => new Map(data.ids.map((id, i) => [id, i])), [data]);

  const ids = useMemo(() => {
    const all = className === null ? topLosses(data.losses, 64).map((i) => data.ids[i]) : classIds;
    // Deleted images (here, elsewhere, in another tab) leave the walk; an undone delete comes back.
    return all.filter((id) => !reviewed.has(id) && (existing?.has(id) ?? true)).slice(0, k);
  }, [className, classIds, data, k, reviewed, existing]);
  const urls = useImageUrls(ids);
  const [showCam, setShowCam] = useState(false);
  const cams = useGradCams(showCam ? ids : []);

  const clean = async (id: number, action: 'keep' | 'delete' | string) => {
    if (action === 'delete') await deleteWithUndo(id);
    else {
      if (action !== 'keep') await relabelWithUndo(id, action);
      setReviewed((r) => new Set(r).add(id));
    }
  };

  const caption = (id: number) => {
    const i = validIndex.get(id);
    if (i === undefined)
      return (
        <dl className="facts">
          <dt>class</dt>
          <dd>{className}</dd>
          <dt>set</dt>
          <dd>training</dd>
        </dl>
      );
    return (
      <dl className="facts">
        <dt>predicted</dt>
        <dd>{data.classes[data.predicted[i]]}</dd>
        <dt>actual</dt>
        <dd>{data.classes[data.actual[i]]}</dd>
        <dt>loss</dt>
        <dd>{loss(data.losses[i])}</dd>
        <dt>p(actual)</dt>
        <dd>{(data.actualProbability[i] * 100).toFixed(1)} %</dd>
      </dl>
    );
  };

  return (
    <>
      <div className="row">
        <h3>Clean the data</h3>
        <label>
          Walk{' '}
          <select
            aria-label="Walk"
            value={source}
            onChange={(e) => {
              setSource(e.target.value);
              setReviewed(new Set());
            }}
          >
            <option value={TOP_LOSSES}>top losses</option>
            {data.classes.map((c) => (
              <option key={c} value={c}>
                class {c}
              </option>
            ))}
          </select>
        </label>
        <label title="Where the model looked for its prediction (Grad-CAM on the last ResNet block)">
          <input type="checkbox" checked={showCam} onChange={(e) => setShowCam(e.target.checked)} /> Grad-CAM
        </label>
        <label>
          Images shown{' '}
          <input
            type="number"
            min={1}
            max={64}
            value={k}
            onChange={(e) => setK(Math.max(1, Number(e.target.value)))}
          />
        </label>
      </div>
      <div
        className="grid"
        style={{ gridTemplateColumns: 'repeat(auto-fill, minmax(170px, 1fr))' }}
        data-testid={className === null ? 'top-losses' : 'class-images'}
      >
        {ids.map((id) => (
          <figure
            key={id}
            className="loss-card"
            data-testid={className === null ? 'top-loss' : 'class-image'}
          >
            <div className="cam-wrap">
              <img src={urls.get(id)} alt={`image ${id}`} />
              {cams.get(id) && <HeatOverlay map={cams.get(id)!} />}
            </div>
            <figcaption>{caption(id)}</figcaption>
            <div className="row small">
              <button type="button" onClick={() => void clean(id, 'keep')}>
                Keep
              </button>
              <button type="button" className="danger" onClick={() => void clean(id, 'delete')}>
                Delete
              </button>
              <select aria-label="Relabel as" value="" onChange={(e) => void clean(id, e.target.value)}>
                <option value="" disabled>
                  Relabel…
                </option>
                {data.classes.map((c) => (
                  <option key={c}>{c}</option>
                ))}
              </select>
            </div>
          </figure>
        ))}
        {ids.length === 0 && <p className="muted">Nothing left to review here.</p>}
      </div>
      <p className="muted small">
        Changes go to the dataset at once, with an Undo for a few seconds; Keep hides an image from this walk.
      </p>
    </>
  );
}
