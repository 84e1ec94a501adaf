import { traitsOf } from '../../protocol';
import { useBridge, useStudioState } from '../studio';
import { ingestJobStatus, trainJobStatus, type JobStatus } from './job-status';

export type { JobStatus } from './job-status';

/** The job running now (training step or download), as the header, the title and the tabs show it. */
export function useJobStatus(): JobStatus | null {
  const bridge = useBridge();
  const { job, train, ingest } = useStudioState();
  if (job)
    return {
      ...trainJobStatus(job, train),
      cancel: traitsOf(job.name).job === 'train' ? () => void bridge.request('trainCancel', {}) : null,
    };
  if (ingest?.running && !ingest.elsewhere)
    return { ...ingestJobStatus(ingest), cancel: () => void bridge.request('ingestCancel', {}) };
  return null;
}
