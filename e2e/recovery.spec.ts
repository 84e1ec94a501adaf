// Jobs that end badly lose nothing: a reload mid-epoch resumes from the last autosave, Cancel stops
// within one batch, running out of memory and losing the GPU end with a message and a restartable
// engine that remembers the lower memory limit.
import { test, expect, type Page } from '@playwright/test';
import type { TrainProgress } from '../src/protocol';
import { device, openApp, request } from './support/app';
import { importGeneratedDataset } from './support/generated';

async function progress(page: Page): Promise<TrainProgress | null> {
  return page.evaluate(
    () =>
      (
        window as unknown as { __studio: { getSnapshot(): { train: TrainProgress | null } } }
      ).__studio.getSnapshot().train,
  );
}

async function waitReady(page: Page): Promise<void> {
  await expect(page.getByTestId('model-state')).toHaveText('ready', { timeout: 170_000 });
}

test('reload mid-epoch resumes from the last autosave; Cancel stops within one batch', async ({ page }) => {
  test.setTimeout(480_000);
  await openApp(page);
  await importGeneratedDataset(page, 12);
  await page.getByRole('tab', { name: 'Train' }).click();
  const panel = page.getByRole('tabpanel', { name: 'Train' });
  const rows = page.getByTestId('epoch-table').locator('tbody tr');
  await panel.getByLabel('Image size').fill('64');
  await panel.getByLabel('Batch size').fill('4');
  await panel.getByLabel('Frozen stage').selectOption('faithful');
  // No cached features in the faithful frozen stage: their BatchNorm setting does not apply.
  await expect(panel.getByLabel("Cached features' BatchNorm")).toBeDisabled();
  await expect(panel.getByLabel('Augmented copies')).toBeDisabled();
  // It trains through the body throughout: step 1 offers no epochs through the body after it.
  await expect(panel.getByLabel('Epochs through the body')).toHaveCount(0);
  await panel.getByLabel('Frozen epochs', { exact: true }).fill('3');
  await page.getByTestId('step-fit1').click();
  await expect(rows).toHaveCount(1, { timeout: 180_000 });

  // The page goes away in the middle of the second epoch (the worker with it); the page warns first.
  let warning = '';
  page.once('dialog', (dialog) => {
    warning = dialog.type();
    void dialog.accept();
  });
  await page.reload();
  expect(warning).toBe('beforeunload');
  await waitReady(page);
  await page.getByRole('tab', { name: 'Train' }).click();
  const resume = page.getByTestId('resume');
  await expect(resume).toContainText(/frozen, [12] epochs/);
  const saved = Number((await resume.textContent())!.match(/frozen, (\d) epochs/)![1]);
  console.log(`[recovery] reload after epoch ${saved}: autosave offered`);
  await resume.getByRole('button', { name: 'Resume it' }).click();
  await expect(page.getByTestId('train-message')).toContainText('Loaded "autosave"');
  await expect(rows).toHaveCount(saved);
  // The loss chart shows the restored history (no batch of it ran in this page): the train and the
  // validation loss of each saved epoch.
  const chart = page.getByTestId('loss-chart');
  await chart.scrollIntoViewIfNeeded();
  await expect(chart).toBeInViewport();
  await expect(chart).toHaveAttribute('data-points', String(2 * saved));
  await page.screenshot({ path: 'test-results/recovery-resumed.png' });
  // Settings come back with the checkpoint.
  await expect(panel.getByLabel('Frozen stage')).toHaveValue('faithful');
  await expect(panel.getByLabel('Image size')).toHaveValue('64');

  // Continuing trains the restored learner: the new row's epoch counts on from the saved ones.
  await panel.getByLabel('Frozen epochs', { exact: true }).fill('1');
  await page.getByTestId('step-fit1').click();
  await expect(rows).toHaveCount(saved + 1, { timeout: 120_000 });
  await expect(rows.nth(saved).locator('td').nth(1)).toHaveText(String(saved));
  // The row shows before the job ends (its reply frees the step's kernel caches): count after the end.
  await expect(page.getByTestId('train-progress')).toBeHidden();
  const settled = await request(page, 'memory', {});

  // Cancel in the middle of an epoch: the job ends within one batch, the model stays usable.
  await panel.getByLabel('Frozen epochs', { exact: true }).fill('2');
  await page.getByTestId('step-fit1').click();
  await expect.poll(async () => (await progress(page))?.done ?? 0, { timeout: 60_000 }).toBeGreaterThan(2);
  await expect(page.getByTestId('train-progress').getByRole('button', { name: 'Cancel' })).toBeVisible();
  // Read the progress and press Cancel in one turn of the page, so no batch ends in between.
  const before = await page.evaluate(() => {
    const studio = (window as unknown as { __studio: { getSnapshot(): { train: { done: number } } } })
      .__studio;
    const done = studio.getSnapshot().train.done;
    document.querySelector<HTMLButtonElement>('[data-testid=train-progress] button')!.click();
    return done;
  });
  await expect(page.getByTestId('train-message')).toHaveText('Cancelled.', { timeout: 30_000 });
  const after = (await progress(page))!.done;
  console.log(`[recovery] cancel requested at batch ${before}, stopped at ${after}`);
  expect(after - before).toBeLessThanOrEqual(1);
  expect((await request(page, 'memory', {})).numTensors).toBe(settled.numTensors);
  await panel.getByLabel('Frozen epochs', { exact: true }).fill('1');
  await page.getByTestId('step-fit1').click();
  await expect(rows).toHaveCount(saved + 2, { timeout: 120_000 });
  await expect(page.getByTestId('train-progress')).toBeHidden();
  // The cancelled epoch's batches were dropped when the next fit trained that epoch again: the
  // batch losses rise along the epoch axis and end on the last row.
  const batchEpochs = await page.evaluate(() =>
    (window as unknown as { __studio: { getSnapshot(): { batchLosses: { epoch: number }[] } } }).__studio
      .getSnapshot()
      .batchLosses.map((p) => p.epoch),
  );
  expect(
    batchEpochs.every((x, i) => i === 0 || x > batchEpochs[i - 1]),
    batchEpochs.join(' '),
  ).toBe(true);
  expect(batchEpochs[0]).toBeGreaterThan(saved);
  expect(batchEpochs.at(-1)).toBe(saved + 2);
  await chart.scrollIntoViewIfNeeded();
  await expect(chart).toHaveAttribute('data-points', String(2 * (saved + 2) + batchEpochs.length));
  await page.screenshot({ path: 'test-results/recovery-continued.png' });
  // Polled: a request the page makes after a fit may hold its tensors for a moment; a leak never returns.
  await expect
    .poll(async () => (await request(page, 'memory', {})).numTensors, { timeout: 15_000 })
    .toBe(settled.numTensors);
});

test('out of memory on wasm: a clear message, a restartable engine, fewer images per pass remembered', async ({
  page,
}) => {
  test.setTimeout(300_000);
  // Multi-threaded wasm hangs when its heap runs out: a short watchdog keeps the test quick.
  await page.goto('/?backend=wasm&stallSeconds=20');
  await waitReady(page);
  expect((await device(page)).backend).toBe('wasm');
  await importGeneratedDataset(page, 12);
  await request(page, 'trainPrepare', {
    config: { size: 32, batchSize: 8, seed: 42, frozenMode: 'fast', variants: 1 },
  });
  await request(page, 'fit', { epochs: 1, maxLr: '3e-3' });

  // 29 images of 384 px in one pass need far more than wasm's 4 GB.
  const huge = {
    size: 384,
    batchSize: 32,
    seed: 42,
    frozenMode: 'faithful',
    variants: 1,
    imagesPerPass: 32,
  } as const;
  expect((await request(page, 'trainPrepare', { config: { ...huge } })).imagesPerPass).toBe(32);
  const failure = await request(page, 'fit', { epochs: 1, maxLr: '3e-3' }).then(
    () => 'no error',
    (error: Error) => error.message,
  );
  console.log(`[recovery] ${failure}`);
  // The pass failed (an exception), the watchdog caught it stalling, or the worker crashed: all three
  // say what to do.
  expect(failure).toMatch(
    /Out of memory with 32 images per pass at 384 px|stopped responding|crashed during training/,
  );
  const fatal = page.getByTestId('fatal');
  await expect(fatal).toContainText(/out of memory/i);
  await expect(fatal).toContainText('it will use 16 images per pass');

  await fatal.getByRole('button', { name: 'Restart engine' }).click();
  await waitReady(page);
  await expect(fatal).toHaveCount(0);
  expect((await request(page, 'trainPrepare', { config: { ...huge } })).imagesPerPass).toBe(16);
  const checkpoints = await request(page, 'listCheckpoints', {});
  expect(checkpoints.map((c) => c.name)).toContain('autosave');
  await page.getByRole('tab', { name: 'Train' }).click();
  await expect(page.getByTestId('resume')).toBeVisible();
});

test('a lost GPU device ends with a message and the engine restarts on the GPU', async ({ page }) => {
  test.setTimeout(400_000);
  await openApp(page, 'webgpu');
  const gpu = await device(page);
  expect(gpu.backend, 'this Chromium must offer a WebGPU adapter (--enable-unsafe-webgpu)').toBe('webgpu');
  expect(await request(page, 'simulateDeviceLoss', {})).toBe(true);
  const fatal = page.getByTestId('fatal');
  await expect(fatal).toContainText('The GPU device was lost (destroyed', { timeout: 30_000 });
  await expect(request(page, 'memory', {})).rejects.toThrow(/GPU device was lost/);
  await fatal.getByRole('button', { name: 'Restart engine' }).click();
  await waitReady(page);
  expect((await device(page)).backend).toBe('webgpu');
  expect((await request(page, 'memory', {})).numTensors).toBeGreaterThan(0);
});
