import { useCallback, useEffect, useState } from 'react';
import { openStudioDb } from '../../data/db';
import { classCounts, listFailures, relayCounts } from '../../data/images';
import type { FailureRecord } from '../../data/schema';
import { useStudioState } from '../studio';
import { STORES } from '../../data/schema';
import { useStoreVersion } from '../shared/useStoreVersion';

export interface DatasetSummary {
  /** False while a download runs: heavy views wait for it to settle. */
  settled?: boolean;
  counts: Map<string, number>;
  /** Of the stored, fetched through the image relay. */
  relayed: Map<string, number>;
  failures: FailureRecord[];
  usage?: { used: number; quota: number; persisted: boolean };
}

/**
 * Live view of what is stored: re-read whenever images or failures change (in this tab, a worker or
 * another tab), after every ingest report, and on demand.
 */
export function useDataset(): DatasetSummary & { refresh(): void } {
  const { ingest, datasetVersion } = useStudioState();
  // While downloading, re-read the store at most every 3 s (it competes with the writes; the
  // progress card has the live counts).
  const tick = ingest?.running ? Math.floor(Date.now() / 3000) : -1;
  const [summary, setSummary] = useState<DatasetSummary>({
    counts: new Map(),
    relayed: new Map(),
    failures: [],
  });
  const [version, setVersion] = useState(0);
  const refresh = useCallback(() => setVersion((v) => v + 1), []);
  const changes = useStoreVersion(STORES.images, STORES.failures);
  // While downloading, the 3 s tick paces re-reads; store changes count once it settles.
  const stored = ingest?.running ? -1 : changes;

  useEffect(() => {
    let live = true;
    void (async () => {
      const db = await openStudioDb();
      const [counts, relayed, failures, estimate, persisted] = await Promise.all([
        classCounts(db),
        relayCounts(db),
        listFailures(db),
        navigator.storage?.estimate?.(),
        navigator.storage?.persisted?.() ?? false,
      ]);
      if (live) {
        setSummary({
          settled: !ingest?.running,
          counts,
          relayed,
          failures,
          usage: estimate ? { used: estimate.usage ?? 0, quota: estimate.quota ?? 0, persisted } : undefined,
        });
      }
    })();
    return () => {
      live = false;
    };
  }, [tick, ingest?.running, version, datasetVersion, stored]);

  return { ...summary, refresh };
}
