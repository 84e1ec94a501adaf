// One job at a time on the model (JobGate): a second job, or a request that changes the model, is
// refused with 'busy' and the running job's name while a job runs; predictions and requests that
// need no model run alongside; once the job ends (or fails), everything runs again.
import { describe, expect, it } from 'vitest';
import { StudioError } from '../src/protocol';
import { JobGate } from '../src/worker/job-gate';

function deferred(): { promise: Promise<string>; resolve(v: string): void; reject(e: Error): void } {
  let resolve!: (v: string) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<string>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  return { promise, resolve, reject };
}

async function refusal(promise: Promise<unknown>): Promise<StudioError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StudioError);
  return error as StudioError;
}

describe('JobGate', () => {
  it('refuses what needs the model while a job runs, naming the job; lets reads and model-free requests through', async () => {
    const gate = new JobGate();
    const fit = deferred();
    const running = gate.run('fit', () => fit.promise);
    let ran = false;
    const second = await refusal(
      gate.run('interpret', async () => {
        ran = true;
        return 'analysed';
      }),
    );
    expect(second.code).toBe('busy');
    expect(second.message).toContain('(Fit)');
    expect(ran).toBe(false);
    // Changing the model mid-fit: refused as well, though not a job itself.
    expect((await refusal(gate.run('setFrozen', async () => 'unfrozen'))).code).toBe('busy');
    expect((await refusal(gate.run('gradCam', async () => 'maps'))).code).toBe('busy');
    // A prediction only reads the weights; data and Cancel need no model.
    await expect(gate.run('classify', async () => 'probabilities')).resolves.toBe('probabilities');
    await expect(gate.run('trainCancel', async () => 'cancelling')).resolves.toBe('cancelling');
    await expect(gate.run('listCheckpoints', async () => 'list')).resolves.toBe('list');
    fit.resolve('rows');
    await expect(running).resolves.toBe('rows');
    await expect(gate.run('interpret', async () => 'analysed')).resolves.toBe('analysed');
  });

  it('a failed job frees the gate', async () => {
    const gate = new JobGate();
    const save = deferred();
    const running = gate.run('saveCheckpoint', () => save.promise);
    expect((await refusal(gate.run('loadCheckpoint', async () => 'loaded'))).message).toContain(
      'Saving a checkpoint',
    );
    save.reject(new Error('quota'));
    await expect(running).rejects.toThrow('quota');
    await expect(gate.run('loadCheckpoint', async () => 'loaded')).resolves.toBe('loaded');
  });
});
