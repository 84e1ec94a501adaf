// The whole recipe clicked through as a user would, from dropped URL lists (served by a real local
// host) to an exported classifier, on a tiny generated dataset at size 64.
import { test, expect } from '@playwright/test';
import { openApp } from './support/app';
import { generatedImage, servedGeneratedDataset } from './support/generated';

/** Images in the real IndexedDB dataset (of one class, or all). */
async function storedCount(page: import('@playwright/test').Page, className?: string): Promise<number> {
  return page.evaluate(async (className) => {
    const db = await new Promise<IDBDatabase>(
      (ok) =>
        (indexedDB.open('deep-art-studio').onsuccess = (e) => ok((e.target as IDBOpenDBRequest).result)),
    );
    const store = db.transaction('images').objectStore('images');
    const request = className === undefined ? store.count() : store.index('byClass').count(className);
    const n = await new Promise<number>(
      (ok) => (request.onsuccess = (e) => ok((e.target as IDBRequest<number>).result)),
    );
    db.close();
    return n;
  }, className);
}

test('data → fit frozen → save → LR find → unfreeze → fit → interpret → clean → predict, in the UI', async ({
  page,
}, testInfo) => {
  test.setTimeout(600_000);
  await openApp(page);
  const shot = async (name: string) =>
    page.screenshot({ path: testInfo.outputPath(`${name}.png`), fullPage: true });

  // The user's start: one urls_<class>.csv per class, dropped on the Data tab, downloaded.
  const served = await servedGeneratedDataset(page, 12);
  try {
    await page.getByRole('tab', { name: 'Data' }).click();
    await page.getByTestId('data-files').setInputFiles(served.csvs);
    await expect(page.getByTestId('pending')).toContainText('urls_reds.csv');
    await page.getByRole('button', { name: 'Download 36 images' }).click();
    await expect(page.getByTestId('ingest-progress')).toHaveAttribute('data-running', 'false', {
      timeout: 60_000,
    });
  } finally {
    await served.host.close();
  }
  for (const className of ['reds', 'greens', 'blues'])
    await expect(
      page.locator(`[data-testid=report] tr[data-class="${className}"] td[data-col="stored"]`),
    ).toHaveText('12');
  expect(await storedCount(page)).toBe(36);
  await shot('data');

  await page.getByRole('tab', { name: 'Train' }).click();
  const panel = page.getByRole('tabpanel', { name: 'Train' });
  await panel.getByLabel('Image size').fill('64');
  await panel.getByLabel('Batch size').fill('8');
  await panel.getByLabel('Frozen epochs', { exact: true }).fill('1');
  await panel.getByLabel('Frozen max lr', { exact: true }).fill('fast please');
  await page.getByTestId('step-fit1').click();
  await expect(page.getByTestId('train-message')).toContainText('not a learning rate');
  await panel.getByLabel('Frozen max lr', { exact: true }).fill('3e-3');
  // Every progress phase the job goes through, in order (repeats collapsed).
  await page.evaluate(() => {
    const studio = (
      window as unknown as {
        __studio: { subscribe(l: () => void): void; getSnapshot(): { train: { phase: string } | null } };
      }
    ).__studio;
    const phases: string[] = [];
    (window as unknown as { __phases: string[] }).__phases = phases;
    studio.subscribe(() => {
      const phase = studio.getSnapshot().train?.phase;
      if (phase && phases[phases.length - 1] !== phase) phases.push(phase);
    });
  });
  // The default recipe's fast frozen stage ends with an epoch through the body (head + BatchNorm).
  await expect(panel.getByLabel('Epochs through the body')).toHaveValue('1');
  await expect(panel.getByLabel('Epochs through the body')).toBeInViewport();
  await page.getByTestId('step-fit1').click();
  const rows = page.getByTestId('epoch-table').locator('tbody tr');
  await expect(page.getByTestId('recipe-fit1')).toHaveAttribute('data-state', 'done', { timeout: 180_000 });
  await expect(rows).toHaveCount(2);
  await expect(rows.nth(0)).toContainText('frozen (cached features)');
  await expect(rows.nth(1)).toContainText('frozen (through the body)');
  await expect(page.getByTestId('runs')).toContainText('max lr 1e-3');
  // The fit's clock starts after the feature pass, so its rate and ETA are its steps' own (they once
  // counted the pass: minutes of "estimated" LR finder for a sweep of seconds on cached features).
  const phases = await page.evaluate(() => (window as unknown as { __phases: string[] }).__phases.join(' '));
  const order = phases.split(' ');
  expect(order, phases).toContain('features');
  expect(order.indexOf('fit'), phases).toBeGreaterThan(order.lastIndexOf('features'));
  await page.getByTestId('step-save1').click();
  await expect(page.getByTestId('train-message')).toContainText('Saved "stage-1"');
  // Out of order: the LR finder comes after unfreezing, and the page says so.
  await page.getByTestId('step-lrfind').click();
  await expect(page.getByTestId('train-message')).toContainText('First step 3: Unfreeze the body');
  await page.getByTestId('step-unfreeze').click();
  await expect(page.getByTestId('train-message')).toContainText('whole network');
  await expect(page.getByTestId('recipe-lrfind')).toHaveAttribute('data-state', 'next');
  // fast.ai's num_it: a sweep of 30 steps instead of 100 on this tiny set (a typo is refused first).
  await panel.getByLabel('LR finder steps').fill('3O');
  await expect(page.getByTestId('estimate-lrfind')).toHaveText('steps: 20–500');
  await page.getByTestId('step-lrfind').click();
  await expect(page.getByTestId('train-message')).toContainText('not a step count for the LR finder');
  await panel.getByLabel('LR finder steps').fill('30');
  await expect(page.getByText('steps: 20–500')).toHaveCount(0);
  await page.getByTestId('step-lrfind').click();
  await expect(page.getByTestId('lr-suggestion')).toBeVisible({ timeout: 300_000 });
  await expect(page.getByTestId('lr-chart')).toHaveAttribute('data-points', /^([3-9]|\d\d+)$/);
  console.log(
    `[workflow] LR finder plot: ${await page.getByTestId('lr-chart').getAttribute('data-points')} points`,
  );
  // Picking a rate by keyboard fills the Fit step's max lr.
  await page.getByTestId('lr-slider').focus();
  await page.keyboard.press('ArrowRight');
  await page.getByTestId('lr-use').click();
  await expect(panel.getByLabel('Unfrozen max lr')).toHaveValue(/^slice\(/);
  await expect(page.getByTestId('lr-picked')).toBeVisible();
  await panel.getByLabel('Unfrozen epochs').fill('1');
  await panel.getByLabel('Unfrozen max lr').fill('slice(1e-5,1e-3)');
  await page.getByTestId('step-fit2').click();
  await expect(rows).toHaveCount(3, { timeout: 300_000 });
  await expect(page.getByTestId('epoch-table').locator('thead')).toHaveText(
    /epoch\s*train_loss\s*valid_loss\s*error_rate\s*time/,
  );
  await expect(rows.nth(2)).toContainText('unfrozen');
  await expect(rows.nth(2).locator('td').last()).toHaveText(/^\d\d:\d\d$/);
  await expect(page.getByTestId('checkpoints')).toContainText('autosave');
  await shot('train');

  await page.getByRole('tab', { name: 'Interpret' }).click();
  await page.getByTestId('interpret-run').click();
  const cells = page.getByTestId('confusion').locator('td');
  await expect(cells).toHaveCount(9);
  const counts = (await cells.allInnerTexts()).map(Number);
  const valid = counts.reduce((a, b) => a + b, 0);
  expect(valid).toBe(7);
  const firstNonEmpty = counts.findIndex((n) => n > 0);
  await cells.nth(firstNonEmpty).click();
  await expect(page.getByTestId('cell-images').locator('img')).toHaveCount(counts[firstNonEmpty]);
  await expect(page.getByTestId('top-loss')).toHaveCount(7);
  await page.getByLabel('Grad-CAM').check();
  const cams = page.getByTestId('top-losses').getByTestId('grad-cam');
  await expect(cams).toHaveCount(7);
  for (const max of await cams.evaluateAll((all) => all.map((c) => Number(c.getAttribute('data-max')))))
    expect([0, 1]).toContain(max); // scaled to [0, 1] per image (0 when nothing argues for the class)
  await shot('interpret');
  const before = await storedCount(page);
  await page.getByTestId('top-loss').first().getByRole('button', { name: 'Delete' }).click();
  await expect(page.getByTestId('top-loss')).toHaveCount(6);
  expect(await storedCount(page)).toBe(before - 1);
  // Walk one class instead of the top losses, and relabel an image there.
  await page.getByLabel('Walk').selectOption({ label: 'class blues' });
  await expect(page.getByTestId('class-image')).toHaveCount(9);
  const blues = await storedCount(page, 'blues');
  await page.getByTestId('class-image').first().getByLabel('Relabel as').selectOption('greens');
  await expect.poll(() => storedCount(page, 'blues')).toBe(blues - 1);
  expect(await storedCount(page)).toBe(before - 1);
  await shot('clean');
  await page.getByTestId('retrain').click();
  await expect(page.getByTestId('retrain-message')).toContainText('Done: error rate', { timeout: 120_000 });
  // The retrained model is stage-1's (2 epochs) plus 4: the loss chart shows those 6 epochs, and only
  // the retraining's batches (after epoch 2), none of the model it replaced.
  await page.getByRole('tab', { name: 'Train' }).click();
  const batchEpochs = await page.evaluate(() =>
    (window as unknown as { __studio: { getSnapshot(): { batchLosses: { epoch: number }[] } } }).__studio
      .getSnapshot()
      .batchLosses.map((p) => p.epoch),
  );
  expect(batchEpochs.length).toBeGreaterThan(0);
  expect(Math.min(...batchEpochs), batchEpochs.join(' ')).toBeGreaterThan(2);
  expect(Math.max(...batchEpochs)).toBe(6);
  await expect(page.getByTestId('loss-chart')).toHaveAttribute(
    'data-points',
    String(2 * 6 + batchEpochs.length),
  );
  await page.reload();
  expect(await storedCount(page)).toBe(before - 1);

  await openApp(page);
  await page.getByRole('tab', { name: 'Train' }).click();
  await expect(page.getByTestId('resume')).toBeVisible();
  await page.getByTestId('resume').getByRole('button').click();
  // The autosave is the retrained run: stage-1's two frozen epochs plus the 4 retraining epochs.
  await expect(page.getByTestId('epoch-table').locator('tbody tr')).toHaveCount(6);
  await page.getByRole('tab', { name: 'Predict' }).click();
  await page
    .getByTestId('predict-drop-input')
    .setInputFiles({ name: 'blue.png', mimeType: 'image/png', buffer: await generatedImage(page, 230) });
  await expect(page.getByTestId('class-probabilities').locator('li')).toHaveCount(3);
  await expect(page.getByTestId('top3-words')).toContainText('Most likely');
  await shot('predict');
  const probabilities = await page.getByTestId('class-probabilities').locator('li').allInnerTexts();

  // Export, wipe every stored byte, reload, import: the same probabilities without any dataset.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByTestId('export-model').click(),
  ]);
  // The classifier is ~100 MB: hand it to the file input by path.
  const modelFile = testInfo.outputPath(download.suggestedFilename());
  await download.saveAs(modelFile);
  await page.evaluate(
    () => new Promise((ok) => (indexedDB.deleteDatabase('deep-art-studio').onsuccess = ok)),
  );
  await page.reload();
  await openApp(page);
  await page.getByRole('tab', { name: 'Predict' }).click();
  await page.getByTestId('import-model').setInputFiles(modelFile);
  await expect(page.getByTestId('predict-notice')).toContainText('3 classes');
  await page
    .getByTestId('predict-drop-input')
    .setInputFiles({ name: 'blue.png', mimeType: 'image/png', buffer: await generatedImage(page, 230) });
  await expect(page.getByTestId('class-probabilities').locator('li')).toHaveCount(3);
  expect(await page.getByTestId('class-probabilities').locator('li').allInnerTexts()).toEqual(probabilities);
  expect(await storedCount(page)).toBe(0);
});
