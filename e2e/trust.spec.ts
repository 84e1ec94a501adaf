// "A studio a user can trust", driven at 1280×720 with real drop events and clicks only: the running
// step, its progress and Cancel stay in view; the job shows in the header on every tab and in the
// title; the current model is named on every tab that uses it; a settings change keeps the model; a
// delete in one page shows in another without a reload, and Undo brings the image back; axe-core
// finds no serious or critical violation on any tab, in the light and the dark scheme.
import AxeBuilder from '@axe-core/playwright';
import { test, expect, type Page } from '@playwright/test';
import { openApp, predictProbe, request } from './support/app';
import { downloadGeneratedDataset } from './support/generated';
import { watchPage } from './support/watch';

const TABS = ['Data', 'Train', 'Interpret', 'Predict'] as const;

/** Serious and critical axe-core violations on the visible tab, as readable lines. */
async function axeProblems(page: Page): Promise<string[]> {
  const { violations } = await new AxeBuilder({ page }).analyze();
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** An element of the visible tab (every tab that uses the model has its own model panel). */
function shown(page: Page, testId: string) {
  return page.locator(`[role=tabpanel]:not([hidden]) [data-testid="${testId}"]`);
}

/** Stored images of one class, as the Data tab's report shows it. */
function storedCell(page: Page, className: string) {
  return page.locator(`[data-testid=report] tr[data-class="${className}"] td[data-col="stored"]`);
}

test('progress in view and on every tab, the model named, live views across pages, undo, axe', async ({
  page,
  context,
}, testInfo) => {
  test.setTimeout(600_000);
  await page.setViewportSize({ width: 1280, height: 720 });
  const watch = watchPage(page);
  const shot = (name: string) => page.screenshot({ path: testInfo.outputPath(`${name}.png`) });
  await openApp(page);
  await expect(page.getByRole('tab', { name: 'Data' })).toHaveAttribute('aria-selected', 'true');
  await downloadGeneratedDataset(page, 6);
  await expect(storedCell(page, 'reds')).toHaveText('6');

  // A long faithful run, so there is time to look around while it runs; Cancel ends it.
  await page.getByRole('tab', { name: 'Train' }).click();
  const panel = page.getByRole('tabpanel', { name: 'Train' });
  await expect(shown(page, 'model-panel')).toContainText('none yet');
  await expect(page.getByTestId('recipe-fit1')).toHaveAttribute('data-state', 'next');
  await panel.getByLabel('Image size (px)').fill('32');
  await panel.getByLabel('Batch size').fill('4');
  await panel.getByLabel('Frozen stage').selectOption('faithful');
  await panel.getByLabel('Frozen epochs', { exact: true }).fill('40');
  await page.getByTestId('step-fit1').click();
  const progress = page.getByTestId('train-progress');
  await expect(progress).toBeInViewport({ timeout: 60_000 });
  await expect(progress.getByRole('button', { name: 'Cancel' })).toBeInViewport();
  await expect(page.getByTestId('recipe-fit1')).toHaveAttribute('data-state', 'running');
  const rows = page.getByTestId('epoch-table').locator('tbody tr');
  await expect(rows).toHaveCount(1, { timeout: 120_000 });
  // Steps 4 and 5 (unfrozen) already show a time: the frozen step's rate × their FLOP ratio.
  await expect(page.getByTestId('estimate-fit2')).toHaveText(/ here$/);
  await expect(page.getByTestId('estimate-lrfind')).toHaveText(/ here$/);
  await shot('training');
  // The job indicator follows the user to every tab, with its Cancel; the title tells other tabs.
  for (const tab of TABS) {
    await page.getByRole('tab', { name: tab }).click();
    const indicator = page.getByTestId('job-indicator');
    await expect(indicator).toBeInViewport();
    await expect(indicator).toContainText(/Fit · (Training|Validating|Saving checkpoint)/);
    await expect(indicator.getByRole('button', { name: 'Cancel' })).toBeInViewport();
    await expect(page).toHaveTitle(/^Fit \d+% · Deep Art Studio$/);
  }
  // Predictions only read the model: they stay open; an export waits for the fit.
  await expect(page.getByTestId('export-model')).toBeDisabled();
  await expect(page.getByRole('tabpanel', { name: 'Predict' }).getByTestId('job-wait')).toBeInViewport();
  await shot('training-from-predict');
  // Buttons that would start another job on the model wait, with the reason in view (the worker
  // runs one at a time: JobGate); the fit keeps the header. Before: the analysis ran between the
  // fit's batches, under its progress bar.
  await page.getByRole('tab', { name: 'Interpret' }).click();
  await expect(page.getByTestId('interpret-run')).toBeDisabled();
  const waitNote = page.getByRole('tabpanel', { name: 'Interpret' }).getByTestId('job-wait');
  await expect(waitNote).toContainText('A job is running (Fit)');
  await expect(waitNote).toBeInViewport();
  await expect(page.getByTestId('job-indicator')).toContainText(
    /Fit · (Training|Validating|Saving checkpoint)/,
  );
  await expect(page.getByTestId('confusion')).toHaveCount(0);
  await shot('waiting-while-training');
  await page.getByTestId('job-indicator').getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByTestId('job-indicator')).toHaveCount(0, { timeout: 60_000 });
  await expect(page).toHaveTitle('Deep Art Studio');
  await expect(page.getByTestId('interpret-run')).toBeEnabled();
  await expect(page.getByTestId('job-wait')).toHaveCount(0);
  await page.getByRole('tab', { name: 'Train' }).click();
  await expect(page.getByTestId('train-message')).toHaveText('Cancelled.');
  await expect(page.getByTestId('recipe-fit1')).toHaveAttribute('data-state', 'done');
  await expect(page.getByTestId('recipe-save1')).toHaveAttribute('data-state', 'next');
  const trained = await rows.count();
  await expect(shown(page, 'model-panel')).toContainText(`${trained} epoch`);
  await expect(shown(page, 'model-saved')).toHaveText('unsaved changes (autosaved)');

  // Changing the batch size keeps the trained model: the same predictions after the next step.
  const before = await predictProbe(page);
  await panel.getByLabel('Batch size').fill('8');
  await expect(page.getByTestId('settings-pending')).toBeVisible();
  await page.getByTestId('step-save1').click();
  await expect(shown(page, 'model-saved')).toHaveText('saved as “stage-1”');
  await page.getByTestId('step-unfreeze').click();
  await expect(page.getByTestId('train-message')).toContainText('whole network');
  expect(await predictProbe(page)).toEqual(before);
  await expect(shown(page, 'model-panel')).toContainText('stage unfrozen');
  await expect(page.getByTestId('checkpoints').locator('tr.current')).toHaveCount(0); // unfrozen: a change
  await shot('train-after');

  // Interpret names the model that answered; a second page watches the data.
  await page.getByRole('tab', { name: 'Interpret' }).click();
  await expect(shown(page, 'model-panel')).toContainText(`${trained} epoch`);
  await page.getByTestId('interpret-run').click();
  await expect(page.getByTestId('analysed-model')).toContainText('unfrozen');
  await expect(page.getByTestId('class-metrics').locator('tbody tr')).toHaveCount(3);
  const firstCell = page.getByTestId('confusion').getByRole('button').first();
  await expect(firstCell).toHaveAccessibleName(/^actual blues, predicted blues: \d+ images?$/);
  const second = await context.newPage();
  await second.setViewportSize({ width: 1280, height: 720 });
  await second.goto('/'); // its model may still load: the Data tab does not wait for it
  await second.getByRole('tab', { name: 'Data' }).click();
  const card = page.getByTestId('top-loss').first();
  const victim = (await card.locator('dd').nth(1).textContent())!; // its actual class
  await expect(storedCell(second, victim)).toHaveText('6');
  const cards = await page.getByTestId('top-loss').count();
  await card.getByRole('button', { name: 'Delete' }).click();
  await expect(page.getByTestId('top-loss')).toHaveCount(cards - 1);
  await expect(storedCell(second, victim)).toHaveText('5'); // no reload
  const toast = page.getByTestId('undo-toast');
  await expect(toast).toBeInViewport();
  await shot('undo');
  await toast.getByRole('button', { name: 'Undo' }).click();
  await expect(page.getByTestId('top-loss')).toHaveCount(cards);
  await expect(storedCell(second, victim)).toHaveText('6');
  await second.close();

  // Predict says which model answered.
  await page.getByRole('tab', { name: 'Predict' }).click();
  await expect(shown(page, 'model-panel')).toBeVisible();
  await expect(page.getByLabel('Model to export')).toContainText('checkpoint stage-1');

  // Accessibility: every tab, light and dark.
  const problems: string[] = [];
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    for (const tab of TABS) {
      await page.getByRole('tab', { name: tab }).click();
      problems.push(...(await axeProblems(page)).map((p) => `${tab} tab, ${scheme} scheme: ${p}`));
      await shot(`${tab.toLowerCase()}-${scheme}`);
    }
  }
  expect(problems).toEqual([]);
  // The image viewer is a modal dialog: focus moves in, Escape closes it, focus returns.
  await page.getByRole('tab', { name: 'Data' }).click();
  const opener = page.getByRole('button', { name: /^Open image/ }).first();
  await opener.click();
  const dialog = page.getByRole('dialog');
  await expect(dialog).toBeVisible();
  await expect(dialog.locator(':focus')).toHaveCount(1);
  await page.keyboard.press('Escape');
  await expect(dialog).toHaveCount(0);
  await expect(opener).toBeFocused();
  // Down to 1024 px wide, no tab scrolls sideways.
  await page.setViewportSize({ width: 1024, height: 720 });
  // Polled: charts follow the new width on their ResizeObserver's next turn (a canvas still sized
  // for 1280 px is what a slow machine measured first); an overflow that stays still fails.
  for (const tab of TABS) {
    await page.getByRole('tab', { name: tab }).click();
    await expect
      .poll(() => page.evaluate(() => document.documentElement.scrollWidth), { message: `${tab} at 1024 px` })
      .toBeLessThanOrEqual(1024);
  }
  await shot('predict-1024');
  // Keyboard: arrows move between tabs.
  await page.getByRole('tab', { name: 'Predict' }).focus();
  await page.keyboard.press('ArrowLeft');
  await expect(page.getByRole('tab', { name: 'Interpret' })).toBeFocused();
  expect((await request(page, 'memory', {})).numTensors).toBeGreaterThan(0);
  await watch.expectClean();
});
