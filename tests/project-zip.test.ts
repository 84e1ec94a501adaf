// The project zip's checkpoints, in Node: written as a stream, read back complete — every tensor
// (Adam moments included) byte for byte, history, settings — and refused when damaged.
import { strToU8, unzipSync, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import type { CheckpointRecord } from '../src/data/schema';
import {
  addCheckpoint,
  checkpointFolder,
  PROJECT_FILE,
  PROJECT_FORMAT,
  readProject,
  ZipStream,
} from '../src/formats/project-zip';

const record = (name: string): CheckpointRecord => ({
  name,
  savedAt: 1,
  stage: 'unfrozen',
  classes: ['a', 'b'],
  seed: 43,
  size: 64,
  errorRate: 0.25,
  history: [{ epoch: 0 }],
  config: { size: 64, batchSize: 8, seed: 43, frozenMode: 'fast', variants: 2 },
  tensors: [
    { name: 'body/conv1/kernel', shape: [2, 2], data: new Blob([Float32Array.of(1, 2, 3, 4)]) },
    { name: 'body/conv1/kernel#m', shape: [2, 2], data: new Blob([Float32Array.of(0.1, 0.2, 0.3, 0.4)]) },
    { name: 'head/dense2/bias', shape: [2], data: new Blob([Float32Array.of(-1, 1)]) },
  ],
  optimizerStep: 17,
  lrFind: null,
});

async function values(r: CheckpointRecord) {
  return Promise.all(
    r.tensors.map(async (t) => [t.name, t.shape, Array.from(new Float32Array(await t.data.arrayBuffer()))]),
  );
}

describe('project zip', () => {
  it('round-trips complete checkpoints through a streamed zip', async () => {
    const zip = new ZipStream();
    await zip.add('labels.csv', [strToU8('file,class\n')]);
    const names = ['stage-1', 'stage/2'];
    for (const n of names) await addCheckpoint(zip, record(n), checkpointFolder(n));
    const info = {
      format: PROJECT_FORMAT,
      version: 1,
      checkpoints: names.map((name) => ({ name, folder: checkpointFolder(name) })),
      ingestSettings: { maxSize: 400 },
    };
    await zip.add(PROJECT_FILE, [strToU8(JSON.stringify(info))]);
    const blob = await zip.finish();
    const files = unzipSync(new Uint8Array(await blob.arrayBuffer()));
    const project = readProject(files);
    expect(project.info?.ingestSettings).toEqual({ maxSize: 400 });
    expect(project.checkpoints.map((c) => c.name)).toEqual(names);
    for (const c of project.checkpoints) {
      expect({ ...c, tensors: [] }).toEqual({ ...record(c.name), tensors: [] });
      expect(await values(c)).toEqual(await values(record(c.name)));
    }
  });

  it('a plain dataset has no project; a truncated checkpoint is refused', async () => {
    expect(readProject({ 'labels.csv': strToU8('file,class\n') }).info).toBeNull();
    const zip = new ZipStream();
    await addCheckpoint(zip, record('x'), checkpointFolder('x'));
    await zip.add(PROJECT_FILE, [
      strToU8(
        JSON.stringify({
          format: PROJECT_FORMAT,
          version: 1,
          checkpoints: [{ name: 'x', folder: checkpointFolder('x') }],
        }),
      ),
    ]);
    const files = unzipSync(new Uint8Array(await (await zip.finish()).arrayBuffer()));
    files[`${checkpointFolder('x')}/tensors.bin`] = files[`${checkpointFolder('x')}/tensors.bin`].slice(0, 8);
    expect(() => readProject(unzipSync(zipSync(files)))).toThrow(/truncated/);
  });
});
