// What the header, the running step, the title and the tabs say about the job running now: pure, so
// it is tested in Node (useJobStatus.ts adds the Cancel that calls the worker).
import type { IngestProgress, TrainProgress } from '../../protocol';
import type { ActiveJob } from '../bridge';
import { PHASE_LABELS } from '../train/phases';
import { eta } from '../train/format';

export interface JobStatus {
  kind: 'train' | 'ingest';
  /** What runs, e.g. "Fit · Training" or "Downloading". */
  label: string;
  /** 0–1 when known. */
  fraction: number | null;
  /** "01:23 left", or ''. */
  eta: string;
  detail: string;
  /** Null when the job cannot stop midway (a save, a load). */
  cancel: (() => void) | null;
}

export type JobStatusValues = Omit<JobStatus, 'cancel'>;

/**
 * A training job: its label with the phase running, the current phase's count, and the bar and ETA
 * of the job's main progress (a fit's or the LR finder's steps) once its steps have begun — before
 * that (statistics and body features, minutes at 224 px) the phase's own, so the bar moves with the
 * count beside it instead of sitting at 0 % under "368/512".
 */
export function trainJobStatus(job: ActiveJob, train: TrainProgress | null): JobStatusValues {
  const phase = train && train.startedAt >= job.startedAt - 1000 ? train : null;
  const main = job.main && job.main.done > 0 ? job.main : null;
  const overall = main ?? phase ?? job.main;
  return {
    kind: 'train',
    label: phase ? `${job.label} · ${PHASE_LABELS[phase.phase]}` : `${job.label} · starting`,
    fraction: overall && overall.total ? overall.done / overall.total : null,
    eta: overall ? eta(overall.startedAt, overall.done, overall.total) : '',
    detail: phase && phase.total > 1 ? `${phase.done}/${phase.total}` : '',
  };
}

/** A download's images done and to do, over all its classes (the header and the Data tab's card). */
export function ingestTotals(ingest: IngestProgress): { done: number; total: number } {
  return {
    done: ingest.classes.reduce((n, c) => n + c.done, 0),
    total: ingest.classes.reduce((n, c) => n + c.total, 0),
  };
}

/** A download running in this tab: all classes' images done of all to do. */
export function ingestJobStatus(ingest: IngestProgress): JobStatusValues {
  const { done, total } = ingestTotals(ingest);
  return {
    kind: 'ingest',
    label: 'Downloading images',
    fraction: total ? done / total : null,
    eta: eta(ingest.startedAt, done, total),
    detail: `${done}/${total}`,
  };
}
