// A trained model is never discarded silently: a settings change after training keeps the model
// (the same predictions), and a new split seed asks first. Driven through the UI at 1280×720.
import { test, expect } from '@playwright/test';
import { openApp, predictProbe, quickFrozenStep, request } from './support/app';
import { downloadGeneratedDataset } from './support/generated';
import { watchPage } from './support/watch';

test('changing batch size after training keeps the model; a new split seed asks first', async ({
  page,
}, testInfo) => {
  test.setTimeout(300_000);
  await page.setViewportSize({ width: 1280, height: 720 });
  const watch = watchPage(page);
  await openApp(page);
  await downloadGeneratedDataset(page, 6);

  // Step 1 without its epoch through the body (as a reload in the middle of it would leave it)…
  const panel = await quickFrozenStep(page);
  await page.getByTestId('step-fit1').click();
  const epochRows = page.getByTestId('epoch-table').locator('tbody tr');
  await expect(page.getByTestId('recipe-fit1')).toHaveAttribute('data-state', 'done', { timeout: 180_000 });
  await expect(epochRows).toHaveCount(1);
  await expect(page.getByTestId('body-epochs-only')).toHaveCount(0); // none asked for
  // …then asked for: just that epoch runs, not the cached-feature one again.
  await panel.getByLabel('Epochs through the body').fill('1');
  await expect(page.getByTestId('body-epochs-only')).toBeInViewport();
  await page.getByTestId('body-epochs-only').click();
  await expect(epochRows).toHaveCount(2, { timeout: 180_000 });
  await expect(epochRows.nth(1)).toContainText('frozen (through the body)');
  await expect(page.getByTestId('body-epochs-only')).toHaveCount(0);
  await expect(page.getByTestId('recipe-fit1')).toHaveAttribute('data-state', 'done');
  const tensors = async () => (await request(page, 'memory', {})).numTensors;
  const afterFit = await tensors();
  const before = await predictProbe(page);
  expect(await tensors()).toBe(afterFit); // predicting leaks nothing

  await panel.getByLabel('Batch size').fill('8');
  await expect(page.getByTestId('settings-pending')).toContainText('the trained model is kept');
  // Statistics after each epoch: re-measured as validation sees images unless the person says otherwise.
  const statistics = panel.getByLabel('Statistics after each epoch');
  await expect(statistics).toHaveValue('plain');
  await statistics.selectOption('off');
  await expect(statistics).toHaveValue('off');
  await page.getByTestId('step-unfreeze').click();
  await expect(page.getByTestId('train-message')).toContainText('whole network');
  expect(await predictProbe(page)).toEqual(before); // the same model, not a fresh one
  const unfrozen = await tensors(); // fewer: unfreezing starts a new optimizer without moments

  await panel.getByLabel('Split seed').fill('43');
  const ask = page.getByTestId('seed-change');
  await expect(ask).toBeInViewport();
  await page.screenshot({ path: testInfo.outputPath('seed-change.png') });
  await ask.getByRole('button', { name: 'Keep the current model' }).click();
  await expect(ask).toHaveCount(0);
  await expect(panel.getByLabel('Split seed')).toHaveValue('42');
  expect(await predictProbe(page)).toEqual(before);

  await panel.getByLabel('Split seed').fill('43');
  await page
    .getByTestId('seed-change')
    .getByRole('button', { name: /Save the current model/ })
    .click();
  await expect(page.getByTestId('train-message')).toContainText(
    'Saved the previous model as "before-seed-43"',
  );
  await expect(panel.getByLabel('Split seed')).toHaveValue('43');
  expect(await tensors()).toBe(unfrozen); // asking, keeping and saving leak nothing
  await watch.expectClean();
});
