// Download jobs: a dropped URL list is stored as a pending job (merged with its class's pending
// one), queued when the user starts it, done when every URL has an outcome; a reload resumes it.
import { STORES, type JobRecord, type JobStatus } from './schema';
import type { ParsedUrlList } from './url-list';
import type { PendingList } from '../protocol';
import { announce } from './changes';
import { storageFailure, type StudioDb } from './db';

/** Stores a parsed list as a pending job, merged into the pending job of the same class if any. */
export async function savePendingList(
  db: StudioDb,
  parsed: ParsedUrlList,
  fileName: string,
): Promise<PendingList> {
  const tx = db.transaction([STORES.jobs, STORES.jobUrls], 'readwrite');
  try {
    const jobs = tx.objectStore(STORES.jobs);
    const stored = tx.objectStore(STORES.jobUrls);
    const pending = await jobs.index('byStatus').getAll('pending');
    const same = pending.find((j) => j.className === parsed.className);
    let job: JobRecord;
    let urls = parsed.urls;
    if (same) {
      const old = (await stored.get(same.id!))?.urls ?? [];
      const seen = new Set(old);
      const added = parsed.urls.filter((u) => !seen.has(u));
      urls = old.concat(added);
      const names = same.fileName.split(', ');
      job = {
        ...same,
        fileName: names.includes(fileName) ? same.fileName : `${same.fileName}, ${fileName}`,
        urlCount: urls.length,
        skipped: {
          blank: same.skipped.blank + parsed.skipped.blank,
          duplicate: same.skipped.duplicate + parsed.skipped.duplicate + parsed.urls.length - added.length,
          invalid: same.skipped.invalid + parsed.skipped.invalid,
        },
        refused: [...same.refused, ...parsed.refused].slice(0, MAX_REFUSED_KEPT),
      };
    } else {
      job = {
        className: parsed.className,
        fileName,
        urlCount: urls.length,
        skipped: parsed.skipped,
        refused: parsed.refused.slice(0, MAX_REFUSED_KEPT),
        status: 'pending',
        createdAt: Date.now(),
      };
    }
    job.id = await jobs.put(job);
    await stored.put({ jobId: job.id, urls });
    await tx.done;
    announce(STORES.jobs);
    return pendingList(job);
  } catch (error) {
    tx.done.catch(() => undefined);
    throw await storageFailure(tx.error ?? error);
  }
}

/** Refused lines kept per job for the report (all are counted). */
export const MAX_REFUSED_KEPT = 1000;

function pendingList(job: JobRecord): PendingList {
  const { id, className, fileName, urlCount, skipped, refused } = job;
  return { jobId: id!, className, fileName, urlCount, skipped, refused };
}

export async function pendingLists(db: StudioDb): Promise<PendingList[]> {
  return (await db.getAllFromIndex(STORES.jobs, 'byStatus', 'pending')).map(pendingList);
}

export async function deleteJob(db: StudioDb, id: number): Promise<void> {
  const tx = db.transaction([STORES.jobs, STORES.jobUrls], 'readwrite');
  await Promise.all([
    tx.objectStore(STORES.jobs).delete(id),
    tx.objectStore(STORES.jobUrls).delete(id),
    tx.done,
  ]);
  announce(STORES.jobs);
}

export async function updateJob(db: StudioDb, id: number, patch: Partial<JobRecord>): Promise<void> {
  const tx = db.transaction([STORES.jobs, STORES.jobUrls], 'readwrite');
  const job = await tx.objectStore(STORES.jobs).get(id);
  if (job) {
    await tx.objectStore(STORES.jobs).put({ ...job, ...patch });
    // A finished job keeps its counts, not its URL list.
    if (patch.status === 'done') await tx.objectStore(STORES.jobUrls).delete(id);
  }
  await tx.done;
  announce(STORES.jobs);
}

export async function jobUrls(db: StudioDb, id: number): Promise<string[]> {
  return (await db.get(STORES.jobUrls, id))?.urls ?? [];
}

/** Jobs with the given statuses, read through the status index (never the whole store). */
export async function jobsWithStatus(db: StudioDb, ...statuses: JobStatus[]): Promise<JobRecord[]> {
  const found = await Promise.all(statuses.map((s) => db.getAllFromIndex(STORES.jobs, 'byStatus', s)));
  return found.flat().sort((a, b) => a.id! - b.id!);
}

/** Jobs a reload interrupted (or that never started): they resume on the next visit. */
export function unfinishedJobs(db: StudioDb): Promise<JobRecord[]> {
  return jobsWithStatus(db, 'queued', 'running');
}
