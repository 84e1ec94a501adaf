// What the header and the running step say about a training job: the bar follows the phase count
// beside it until the fit's steps begin (the drive of 2026-12-04 read "0 %" beside "368/512" while
// the body's statistics were measured at the start of a fast frozen fit), then the fit's steps.
import { describe, expect, it } from 'vitest';
import type { TrainProgress } from '../src/protocol';
import type { ActiveJob } from '../src/ui/bridge';
import { ingestJobStatus, trainJobStatus } from '../src/ui/jobs/job-status';

const start = Date.now() - 60_000;
const job = (main: TrainProgress | null): ActiveJob => ({
  id: 1,
  name: 'fit',
  label: 'Fit',
  startedAt: start,
  main,
});
const progress = (phase: TrainProgress['phase'], done: number, total: number): TrainProgress => ({
  phase,
  done,
  total,
  startedAt: start + 1000,
});

describe('training job status', () => {
  it('shows the phase’s own progress while the fit has taken no step yet', () => {
    const status = trainJobStatus(job(progress('fit', 0, 260)), progress('statistics', 368, 512));
    expect(status.label).toBe('Fit · Measuring BatchNorm statistics on your images');
    expect(status.detail).toBe('368/512');
    expect(status.fraction).toBeCloseTo(368 / 512);
    expect(status.eta).toMatch(/left$/);
  });

  it('follows the fit’s steps once they have begun, through its validations', () => {
    const status = trainJobStatus(job(progress('fit', 65, 260)), progress('validate', 3, 17));
    expect(status.label).toBe('Fit · Validating');
    expect(status.detail).toBe('3/17');
    expect(status.fraction).toBeCloseTo(65 / 260);
  });

  it('says the job is starting before any progress', () => {
    const status = trainJobStatus(job(null), null);
    expect(status).toMatchObject({ label: 'Fit · starting', fraction: null, eta: '', detail: '' });
  });
});

describe('download job status', () => {
  it('counts every class’s images done of all to do', () => {
    const status = ingestJobStatus({
      running: true,
      startedAt: start,
      classes: [
        { className: 'reds', total: 100, done: 40, stored: 39, failed: 1, viaRelay: 0 },
        { className: 'blues', total: 100, done: 10, stored: 10, failed: 0, viaRelay: 0 },
      ],
    });
    expect(status).toMatchObject({ kind: 'ingest', detail: '50/200', fraction: 0.25 });
  });
});
