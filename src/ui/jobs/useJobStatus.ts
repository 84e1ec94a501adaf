import { traitsOf } from '../../protocol';
import { useBridge, useStudioState } from '../studio';
import { PHASE_LABELS } from '../train/phases';
import { eta } from '../train/format';

/** The job running now (training step or download), as the header, the title and the tabs show it. */
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

export function useJobStatus(): JobStatus | null {
  const bridge = useBridge();
  const { job, train, ingest } = useStudioState();
  if (job) {
    const phase = train && train.startedAt >= job.startedAt - 1000 ? train : null;
    const main = job.main;
    const overall = main ?? phase;
    return {
      kind: 'train',
      label: phase ? `${job.label} · ${PHASE_LABELS[phase.phase]}` : `${job.label} · starting`,
      fraction: overall && overall.total ? overall.done / overall.total : null,
      eta: main
        ? eta(main.startedAt, main.done, main.total)
        : phase
          ? eta(phase.startedAt, phase.done, phase.total)
          : '',
      detail: phase && phase.total > 1 ? `${phase.done}/${phase.total}` : '',
      cancel: traitsOf(job.name).job === 'train' ? () => void bridge.request('trainCancel', {}) : null,
    };
  }
  if (ingest?.running && !ingest.elsewhere) {
    const total = ingest.classes.reduce((n, c) => n + c.total, 0);
    const done = ingest.classes.reduce((n, c) => n + c.done, 0);
    return {
      kind: 'ingest',
      label: 'Downloading images',
      fraction: total ? done / total : null,
      eta: eta(ingest.startedAt, done, total),
      detail: `${done}/${total}`,
      cancel: () => void bridge.request('ingestCancel', {}),
    };
  }
  return null;
}
