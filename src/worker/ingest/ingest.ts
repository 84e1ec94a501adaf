// download_images + verify_images: a pool of parallel downloads per run, each result stored (or its
// failure recorded) in one transaction, so a reload at any moment loses nothing and resumes exactly.
import {
  addImage,
  countImages,
  hasImage,
  storedUrls,
  openStudioDb,
  putFailure,
  QuotaError,
  updateJob,
  type StudioDb,
} from '../../data/db';
import { STORES, type FailureReason, type JobRecord } from '../../data/schema';
import type { ClassProgress, IngestProgress, IngestSettings, LocalImage } from '../../protocol';
import { Cancelled, download } from './download';
import { verifyAndShrink, type Verified } from './verify';

interface Task {
  job: JobRecord;
  url: string;
  progress: ClassProgress;
}

let current: AbortController | null = null;

export function cancelIngest(): boolean {
  if (!current) return false;
  current.abort();
  return true;
}

async function record(
  db: StudioDb,
  className: string,
  url: string,
  verified: Verified,
  progress: ClassProgress,
  maxPerClass: number,
): Promise<void> {
  if (!verified.ok) return fail(db, className, url, verified.reason, verified.detail, progress);
  const outcome = await addImage(
    db,
    {
      className,
      url,
      width: verified.width,
      height: verified.height,
      bytes: verified.blob.size,
      blob: verified.blob,
      hash: verified.hash,
      addedAt: Date.now(),
    },
    maxPerClass,
  );
  if (outcome === 'duplicate') {
    return fail(db, className, url, 'duplicate', 'the same image is already in this class', progress);
  }
  // 'full': the pool finished more downloads than the class had room for; not a failure.
  if (outcome === 'added') progress.stored++;
}

async function fail(
  db: StudioDb,
  className: string,
  url: string,
  reason: FailureReason,
  detail: string,
  progress: ClassProgress,
): Promise<void> {
  await putFailure(db, { className, url, reason, detail, at: Date.now() });
  progress.failed++;
}

async function planJob(db: StudioDb, job: JobRecord, maxPerClass: number): Promise<Task[]> {
  const progress: ClassProgress = { className: job.className, total: 0, done: 0, stored: 0, failed: 0 };
  const room = maxPerClass - (await countImages(db, job.className));
  const stored = await storedUrls(db, job.className);
  const tasks: Task[] = [];
  for (const url of job.urls) {
    if (tasks.length >= room) break;
    if (!stored.has(url)) tasks.push({ job, url, progress });
  }
  progress.total = tasks.length;
  return tasks;
}

export async function runIngest(
  jobIds: number[],
  settings: IngestSettings,
  onProgress: (progress: IngestProgress) => void,
): Promise<IngestProgress> {
  current?.abort();
  const controller = new AbortController();
  current = controller;
  const db = await openStudioDb();
  const jobs = (await Promise.all(jobIds.map((id) => db.get(STORES.jobs, id)))).filter(
    (j): j is JobRecord => !!j,
  );
  const tasks: Task[] = [];
  for (const job of jobs) {
    await updateJob(db, job.id!, { status: 'running' });
    tasks.push(...(await planJob(db, job, settings.maxPerClass)));
  }
  const classes = [...new Map(tasks.map((t) => [t.progress.className, t.progress])).values()];
  for (const job of jobs) {
    if (!classes.some((c) => c.className === job.className)) {
      classes.push({ className: job.className, total: 0, done: 0, stored: 0, failed: 0 });
    }
  }
  const state: IngestProgress = { running: true, startedAt: Date.now(), classes };
  let lastReport = 0;
  const report = (force = false) => {
    if (force || Date.now() - lastReport > 200) {
      lastReport = Date.now();
      onProgress(structuredClone(state));
    }
  };
  report(true);

  let next = 0;
  const worker = async () => {
    while (next < tasks.length && !controller.signal.aborted) {
      const task = tasks[next++];
      // planJob took no more URLs than the class has room for; addImage enforces the cap.
      const fetched = await download(task.url, settings, controller.signal);
      const verified: Verified = fetched.ok
        ? await verifyAndShrink(fetched.bytes, settings.maxSize)
        : fetched;
      await record(db, task.job.className, task.url, verified, task.progress, settings.maxPerClass);
      task.progress.done++;
      report();
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, settings.parallel) }, worker));
    for (const job of jobs) await updateJob(db, job.id!, { status: 'done' });
  } catch (error) {
    const cancelled = error instanceof Cancelled || controller.signal.aborted;
    state.message = cancelled
      ? 'Cancelled. Start again to resume where it stopped.'
      : (error as Error).message;
    if (error instanceof QuotaError)
      state.message = error.message + ' Delete images or free disk space, then resume.';
    for (const job of jobs)
      await updateJob(db, job.id!, { status: cancelled ? 'cancelled' : 'stopped', message: state.message });
    controller.abort();
  } finally {
    if (current === controller) current = null;
  }
  state.running = false;
  report(true);
  return state;
}

export async function importImages(
  images: LocalImage[],
  maxSize: number,
): Promise<{ stored: number; failed: number }> {
  const db = await openStudioDb();
  const progress: ClassProgress = { className: '', total: images.length, done: 0, stored: 0, failed: 0 };
  for (const image of images) {
    const url = `file:${image.path}`;
    if (await hasImage(db, image.className, url)) continue;
    const verified = await verifyAndShrink(new Uint8Array(await image.file.arrayBuffer()), maxSize);
    await record(db, image.className, url, verified, progress, Number.POSITIVE_INFINITY);
  }
  return { stored: progress.stored, failed: progress.failed };
}
