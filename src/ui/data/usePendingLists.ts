import { useCallback, useEffect, useState } from 'react';
import { openStudioDb } from '../../data/db';
import { deleteJob, jobsWithStatus, pendingLists, updateJob } from '../../data/jobs';
import type { JobRecord } from '../../data/schema';
import type { PendingList } from '../../protocol';
import { parseList } from './list-parser';
import { STORES } from '../../data/schema';
import { useStoreVersion } from '../shared/useStoreVersion';

/**
 * Lists dropped but not yet downloaded (kept in IndexedDB, so they survive a reload), and jobs that
 * stopped early and can resume: cancelled, stopped, or left running when storage was too full to
 * record that they stopped. Rows are keyed by job id.
 */
export function usePendingLists(ingestRunning: boolean) {
  const [pending, setPending] = useState<PendingList[]>([]);
  const [stopped, setStopped] = useState<JobRecord[]>([]);
  const [reading, setReading] = useState<string | null>(null);
  // Lists dropped or downloaded in another tab show here too.
  const jobsVersion = useStoreVersion(STORES.jobs);

  useEffect(() => {
    let live = true;
    void (async () => {
      const db = await openStudioDb();
      const [lists, halted] = await Promise.all([
        pendingLists(db),
        ingestRunning ? [] : jobsWithStatus(db, 'stopped', 'cancelled', 'queued', 'running'),
      ]);
      if (!live) return;
      setStopped(halted);
      // Rows edited on this page keep their edits; new ones come from the store.
      setPending((current) => lists.map((l) => current.find((c) => c.jobId === l.jobId) ?? l));
    })();
    return () => {
      live = false;
    };
  }, [ingestRunning, jobsVersion]);

  const add = useCallback(async (files: { file: File; path: string }[]) => {
    for (const { file } of files) {
      setReading(`Reading ${file.name}…`);
      const list = await parseList(file, file.name, (bytes, total) =>
        setReading(`Reading ${file.name}: ${(bytes / 1e6).toFixed(0)} of ${(total / 1e6).toFixed(0)} MB`),
      );
      // A list of a class already pending was merged into that row.
      setPending((current) => [...current.filter((l) => l.jobId !== list.jobId), list]);
    }
    setReading(null);
  }, []);

  const rename = (jobId: number, className: string) =>
    setPending((all) => all.map((l) => (l.jobId === jobId ? { ...l, className } : l)));

  const remove = async (jobId: number) => {
    await deleteJob(await openStudioDb(), jobId);
    setPending((all) => all.filter((l) => l.jobId !== jobId));
  };

  /** Writes the edited class names and hands the rows over: their job ids, to download. */
  const take = async (): Promise<number[]> => {
    const db = await openStudioDb();
    for (const list of pending)
      await updateJob(db, list.jobId, { className: list.className.trim() || 'unnamed' });
    const ids = pending.map((l) => l.jobId);
    setPending([]);
    return ids;
  };

  const takeStopped = (): number[] => {
    const ids = stopped.map((j) => j.id!);
    setStopped([]);
    return ids;
  };

  return { pending, stopped, reading, add, rename, remove, take, takeStopped, setReading };
}
