// download_images + verify_images: one download at a time per origin (a Web Lock), whichever tab
// runs it; each result stored (or its failure recorded) in one transaction, so a reload at any
// moment loses nothing and resumes exactly. Other tabs see its progress (a BroadcastChannel) and
// take over if the running tab closes.
import { openStudioDb, StorageError, storageFailure, type StudioDb } from '../../data/db';
import { putFailures, storedUrls } from '../../data/images';
import { jobUrls, unfinishedJobs, updateJob } from '../../data/jobs';
import type { JobRecord } from '../../data/schema';
import type { ClassProgress, IngestProgress, IngestSettings } from '../../protocol';
import { Cancelled } from '../../ml/cancel';
import { createDownloader } from './download';
import { ImageWriter } from './image-writer';
import { verifyAndShrink, type Verified } from './verify';
import { emptyProgress, record, type Store } from './outcomes';

const LOCK = 'deep-art-studio:ingest';
/** Verified images waiting to be written, at most (each holds its encoded bytes). */
const MAX_WRITES = 32;

type Report = (progress: IngestProgress) => void;
/** Between tabs: the running tab's progress; a cancel; a tab that starts watching asks for the progress. */
type ChannelMessage = { type: 'progress'; progress: IngestProgress } | { type: 'cancel' } | { type: 'ask' };

/** The run this worker holds the lock for, if any. */
let current: { controller: AbortController; state: IngestProgress; report(force: boolean): void } | null =
  null;
let waiting = false;
let listener: Report = () => undefined;
/** What this tab last showed of another tab's run. */
let watched: IngestProgress | null = null;
const watch = (progress: IngestProgress) => listener((watched = { ...progress, elsewhere: true }));

const channel = new BroadcastChannel(LOCK);
channel.onmessage = (event: MessageEvent<ChannelMessage>) => {
  if (event.data.type === 'cancel') current?.controller.abort();
  else if (event.data.type === 'ask') current?.report(true);
  else if (!current) watch(event.data.progress);
};

export function cancelIngest(): boolean {
  if (current) current.controller.abort();
  else channel.postMessage({ type: 'cancel' } satisfies ChannelMessage);
  return true;
}

/**
 * Queues the given jobs (pending, stopped or cancelled ones resume) and runs every unfinished job
 * unless another tab already does: then its progress is shown here, and this tab takes over when
 * that one closes.
 */
export async function requestIngest(
  jobIds: number[],
  settings: IngestSettings,
  onProgress: Report,
): Promise<IngestProgress> {
  listener = onProgress;
  const db = await openStudioDb();
  for (const id of jobIds) await updateJob(db, id, { status: 'queued', message: undefined });
  if (current) return current.state; // this worker's run picks the new jobs up
  const ran = await navigator.locks.request(LOCK, { ifAvailable: true }, (lock) =>
    lock ? runUnfinished(db, settings) : null,
  );
  if (ran) return ran;
  if (!waiting) {
    waiting = true;
    void navigator.locks.request(LOCK, () => runUnfinished(db, settings)).finally(() => (waiting = false));
  }
  // Shown at once, not at the running tab's next image (which a slow host may hold for a long time).
  const shown = watched?.running ? watched : { running: true, startedAt: Date.now(), classes: [] };
  watch(shown);
  channel.postMessage({ type: 'ask' } satisfies ChannelMessage);
  return { ...shown, elsewhere: true };
}

/** Runs unfinished jobs until none is left (jobs queued meanwhile, by any tab, join). */
async function runUnfinished(db: StudioDb, settings: IngestSettings): Promise<IngestProgress | null> {
  let jobs = await unfinishedJobs(db);
  // Nothing to do (another tab finished it): its last progress is what this tab shows — ended, even
  // if its last word never arrived.
  if (!jobs.length) {
    if (watched?.running) watch({ ...watched, running: false });
    return null;
  }
  const controller = new AbortController();
  const state: IngestProgress = { running: true, startedAt: Date.now(), classes: [] };
  let lastReport = 0;
  const report = (force = false) => {
    if (!force && Date.now() - lastReport < 200) return;
    lastReport = Date.now();
    const copy = structuredClone(state);
    listener(copy);
    channel.postMessage({ type: 'progress', progress: copy } satisfies ChannelMessage);
  };
  current = { controller, state, report };
  try {
    for (; jobs.length; jobs = await unfinishedJobs(db)) {
      report(true);
      if (!(await runJobs(db, jobs, settings, controller, state, report))) break;
    }
  } catch (error) {
    state.message = (await storageFailure(error)).message;
  } finally {
    current = null;
  }
  state.running = false;
  report(true);
  return state;
}

interface Task {
  url: string;
  progress: ClassProgress;
}

/** One round over the given jobs; false when it stopped early (cancel, storage). */
async function runJobs(
  db: StudioDb,
  jobs: JobRecord[],
  settings: IngestSettings,
  controller: AbortController,
  state: IngestProgress,
  report: (force?: boolean) => void,
): Promise<boolean> {
  const byClass = new Map<string, JobRecord[]>();
  for (const job of jobs) byClass.set(job.className, [...(byClass.get(job.className) ?? []), job]);
  const tasks: Task[] = [];
  for (const [className, classJobs] of byClass) {
    for (const job of classJobs) await updateJob(db, job.id!, { status: 'running' });
    // Refused lines stay in the report after Download, with their line numbers.
    await putFailures(
      db,
      classJobs.flatMap((job) =>
        job.refused.map((r) => ({
          className,
          url: r.text,
          reason: 'invalid-url' as const,
          detail: `line ${r.line} of ${job.fileName}: ${r.reason}`,
          at: Date.now(),
        })),
      ),
    );
    let progress = state.classes.find((c) => c.className === className);
    if (!progress) state.classes.push((progress = emptyProgress(className)));
    // Several lists of one class: one queue, each URL once, what is stored skipped.
    const stored = await storedUrls(db, className);
    let room = settings.maxPerClass - stored.size;
    for (const job of classJobs) {
      for (const url of await jobUrls(db, job.id!)) {
        if (room <= 0) break;
        if (stored.has(url)) continue;
        stored.add(url);
        tasks.push({ url, progress });
        progress.total++;
        room--;
      }
    }
  }
  report(true);

  // Storage errors stop the pool too, without being a user's cancel.
  const stop = new AbortController();
  const signal = AbortSignal.any([controller.signal, stop.signal]);
  const download = createDownloader(settings, signal);
  const writer = new ImageWriter(db, settings.maxPerClass);
  const store: Store = (image) => writer.add(image);
  let failure: StorageError | null = null;
  let next = 0;
  let finished = 0;
  // A download slot does not wait for its image's write: writes are batched (ImageWriter), and
  // at most MAX_WRITES wait at once.
  const writes = new Set<Promise<void>>();
  const write = (task: Task, verified: Verified, viaRelay: boolean) => {
    const pending = record(
      db,
      store,
      task.progress.className,
      task.url,
      verified,
      task.progress,
      viaRelay,
    ).then(
      () => {
        finished++;
        report();
      },
      async (error: unknown) => {
        failure ??= await storageFailure(error);
        stop.abort();
      },
    );
    writes.add(pending);
    void pending.finally(() => writes.delete(pending));
  };
  const worker = async () => {
    while (next < tasks.length && !signal.aborted) {
      const task = tasks[next++];
      let verified: Verified;
      let viaRelay = false;
      try {
        const fetched = await download(task.url);
        verified = fetched.ok ? await verifyAndShrink(fetched.bytes, settings.maxSize) : fetched;
        viaRelay = fetched.ok && fetched.viaRelay;
      } catch (error) {
        if (error instanceof Cancelled || signal.aborted) return;
        verified = {
          ok: false,
          reason: 'corrupt',
          detail: `the image could not be processed (${String(error)})`,
        };
      }
      write(task, verified, viaRelay);
      while (writes.size >= MAX_WRITES) await Promise.race(writes);
    }
  };
  await Promise.allSettled(Array.from({ length: Math.max(1, settings.parallel) }, worker));
  await Promise.allSettled([...writes]);

  const cancelled = controller.signal.aborted;
  const stoppedBy = failure as StorageError | null;
  if (!cancelled && !stoppedBy) {
    for (const job of jobs) await updateJob(db, job.id!, { status: 'done' });
    return true;
  }
  const stored = state.classes.reduce((n, c) => n + c.stored, 0);
  const left = tasks.length - finished;
  if (stoppedBy?.full) {
    state.storageFull = true;
    state.message =
      `Storage full: ${stored} stored, ${left} not downloaded. Free space (delete images here, or other ` +
      "sites' data in the browser's settings), then press Resume to download the rest.";
  } else if (stoppedBy) {
    state.message = `${stoppedBy.message} ${stored} stored, ${left} not downloaded. Press Resume to try again.`;
  } else {
    state.message = 'Cancelled. Press Resume to continue where it stopped.';
  }
  // Best effort: with a full disk even this small write may be refused; a reload then resumes.
  for (const job of jobs) {
    await updateJob(db, job.id!, {
      status: cancelled ? 'cancelled' : 'stopped',
      message: state.message,
    }).catch(() => undefined);
  }
  return false;
}
