// "Train elsewhere": the Train tab's PyTorch bundle runs under torchrun with 2 CPU processes (gloo,
// DistributedDataParallel), and its model comes back into the app. Generated images of 77×61 px,
// cropped and shrunk to the model's 32 px on both sides — the app resizes as train.py's Pillow does
// (src/ml/resample.ts), so both see the same pixels: the converted starting weights give the app's
// validation probabilities (≤ 1e-4), and so does the imported result against what train.py printed.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, expect, type Page } from '@playwright/test';
import { strFromU8, unzipSync } from 'fflate';
import { openApp, request } from './support/app';
import { generatedImage, importGeneratedDataset } from './support/generated';

test.use({ viewport: { width: 1280, height: 720 } });

const PYTHON = process.env.PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');

interface Predictions {
  files: string[];
  labels: number[];
  start: number[][];
  final: number[][];
  errorRate: number;
  processes: number;
}

function run(command: string, args: string[], cwd: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, OMP_NUM_THREADS: '1' } });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, output }));
  });
}

/** The app's probability of the true class per validation image, keyed by the image's source hash. */
async function appProbabilities(page: Page): Promise<Map<string, number>> {
  const interpretation = await request(page, 'interpret', {});
  const hashes = await page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const r = indexedDB.open('deep-art-studio');
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    const all = await new Promise<{ id: number; hash: string }[]>((resolve) => {
      const r = db.transaction('images').objectStore('images').getAll();
      r.onsuccess = () => resolve(r.result as { id: number; hash: string }[]);
    });
    db.close();
    return Object.fromEntries(all.map((i) => [i.id, i.hash]));
  });
  return new Map(interpretation.ids.map((id, k) => [hashes[id], interpretation.actualProbability[k]]));
}

test('a PyTorch bundle trains under torchrun (2 processes) and its model comes back', async ({
  page,
}, testInfo) => {
  test.setTimeout(420_000);
  const check = await run(PYTHON, ['-c', 'import torch, PIL, numpy; print(torch.__version__)'], '.');
  expect(check.code, `${PYTHON} needs torch, Pillow and numpy (Debian: python3-torch python3-pil)`).toBe(0);

  await openApp(page);
  await importGeneratedDataset(page, 8, [77, 61]);
  await page.getByRole('tab', { name: 'Train' }).click();
  const panel = page.getByRole('tabpanel', { name: 'Train' });
  await panel.getByLabel('Image size').fill('32');
  await panel.getByLabel('Batch size').fill('8');
  await panel.getByLabel('Frozen stage').selectOption('faithful');
  await panel.getByLabel('Frozen epochs', { exact: true }).fill('1');
  await panel.getByLabel('Unfrozen epochs', { exact: true }).fill('1');

  const card = page.getByTestId('train-elsewhere');
  const downloadButton = card.getByRole('button', { name: 'Download PyTorch bundle (.zip)' });
  await downloadButton.scrollIntoViewIfNeeded();
  await expect(downloadButton).toBeInViewport();
  const [download] = await Promise.all([page.waitForEvent('download'), downloadButton.click()]);
  expect(download.suggestedFilename()).toBe('train-elsewhere-3-classes-32px.zip');
  const status = card.getByTestId('train-elsewhere-status');
  await expect(status).toContainText('starting from ImageNet weights with a new head');
  await expect(status).toBeInViewport();
  await page.screenshot({ path: testInfo.outputPath('train-elsewhere-bundle.png') });

  const dir = mkdtempSync(join(tmpdir(), 'train-elsewhere-'));
  try {
    const bundlePath = join(dir, 'bundle.zip');
    writeFileSync(bundlePath, readFileSync((await download.path())!));
    const files = unzipSync(new Uint8Array(readFileSync(bundlePath)));
    for (const name of [
      'train.py',
      'requirements.txt',
      'README.md',
      'recipe.json',
      'graph.json',
      'labels.csv',
    ])
      expect(Object.keys(files)).toContain(name);
    const recipe = JSON.parse(strFromU8(files['recipe.json'])) as {
      size: number;
      batchSize: number;
      stages: { epochs: number; groupLrs: number[] }[];
    };
    expect(recipe.size).toBe(32);
    expect(recipe.batchSize).toBe(8);
    expect(recipe.stages.map((s) => s.epochs)).toEqual([1, 1]);
    expect(recipe.stages[1].groupLrs.map((lr) => Number(lr.toPrecision(6)))).toEqual([1e-5, 1e-4, 1e-3]);
    writeFileSync(join(dir, 'train.py'), files['train.py']);

    // The bundled script, as its README says to run it: 2 CPU processes (gloo).
    const started = Date.now();
    const trained = await run(
      PYTHON,
      // --redirects 1 --tee 1: torchrun of PyTorch 1.13 on Python 3.11 (Debian 12) cannot parse its
      // own default for these (see the bundle's README).
      [
        '-m',
        'torch.distributed.run',
        '--nproc_per_node=2',
        '--redirects',
        '1',
        '--tee',
        '1',
        'train.py',
        'bundle.zip',
        '--device',
        'cpu',
      ],
      dir,
    );
    console.log(trained.output.split('\n').slice(-14).join('\n'));
    console.log(`torchrun: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    expect(trained.code, trained.output).toBe(0);
    expect(trained.output).toMatch(/epoch\s+train_loss\s+valid_loss\s+error_rate/);
    const printed = JSON.parse(readFileSync(join(dir, 'predictions.json'), 'utf8')) as Predictions;
    expect(printed.processes).toBe(2);
    const labels = new Map(
      strFromU8(files['labels.csv'])
        .trim()
        .split('\n')
        .slice(1)
        .map((line) => line.split(','))
        .map((cells) => [cells[0], cells[5]] as const), // file → source_sha256
    );
    const torchProbabilities = (which: 'start' | 'final') =>
      new Map(printed.files.map((f, k) => [labels.get(f)!, printed[which][k][printed.labels[k]]]));

    // The converted starting weights give the app's predictions.
    const before = await appProbabilities(page);
    const start = torchProbabilities('start');
    expect(before.size).toBeGreaterThan(2);
    expect([...start.keys()].sort()).toEqual([...before.keys()].sort());
    const gap = (a: Map<string, number>, b: Map<string, number>) =>
      Math.max(...[...a].map(([k, v]) => Math.abs(v - b.get(k)!)));
    console.log(`start: max |app − torch| = ${gap(before, start).toExponential(2)}`);
    expect(gap(before, start)).toBeLessThanOrEqual(1e-4);

    // Import the trained model as a user does, from the same card.
    const importButton = card.getByRole('button', { name: 'Import trained model (.artmodel)…' });
    const [chooser] = await Promise.all([page.waitForEvent('filechooser'), importButton.click()]);
    await chooser.setFiles(join(dir, 'trained-with-pytorch.artmodel'));
    await expect(status).toContainText(
      /Loaded "trained-with-pytorch" as the current model \(\d+ classes, unfrozen, 2 epochs/,
    );
    await expect(status).toBeInViewport();
    await expect(page.getByTestId('epoch-table').locator('tbody tr')).toHaveCount(2);
    await page.screenshot({ path: testInfo.outputPath('train-elsewhere-imported.png') });

    const after = await appProbabilities(page);
    const final = torchProbabilities('final');
    console.log(`final: max |app − torch| = ${gap(after, final).toExponential(2)}`);
    expect(gap(after, final)).toBeLessThanOrEqual(1e-4);
    expect(gap(after, before)).toBeGreaterThan(1e-3); // it did train

    // Interpret works on it as on a model trained here.
    await page.getByRole('tab', { name: 'Interpret' }).click();
    const interpret = page.locator('[role=tabpanel]:not([hidden])');
    await interpret.getByTestId('interpret-run').click();
    await expect(interpret.getByTestId('confusion')).toBeVisible({ timeout: 60_000 });
    await expect(interpret.getByTestId('analysed-model')).toContainText('trained-with-pytorch');
    await expect(interpret.getByTestId('class-metrics')).toBeVisible();
    // And Predict answers with it.
    await page.getByRole('tab', { name: 'Predict' }).click();
    await page
      .getByTestId('predict-drop-input')
      .setInputFiles({ name: 'red.png', mimeType: 'image/png', buffer: await generatedImage(page, 0, 32) });
    await expect(page.getByTestId('class-probabilities').locator('li')).toHaveCount(3);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
