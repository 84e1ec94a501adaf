// An epoch whose automatic save the browser refuses (storage full) is not thrown away: its row is
// shown, the notice names the true reason in view at 1280×720, the model stays in memory, a Save
// while still full says so, and once space is freed Save keeps it — across a reload. Driven through
// the UI; the quota is the real browser's, lowered through DevTools as a full disk would.
import { test, expect } from '@playwright/test';
import { openApp, quickFrozenStep, request } from './support/app';
import { downloadGeneratedDataset } from './support/generated';
import { siteQuota } from './support/quota';
import { storedImages } from './support/studio-data';
import { watchPage } from './support/watch';

test('a refused autosave keeps the trained epoch, says why, and Save keeps it once space is freed', async ({
  page,
  context,
}, testInfo) => {
  test.setTimeout(300_000);
  await page.setViewportSize({ width: 1280, height: 720 });
  const watch = watchPage(page);
  await openApp(page);
  // A nearly full disk: 10 MB left beyond what the site already keeps (the app, the weights), room
  // for the images but not for a checkpoint (~95 MB here: the head's weights and Adam's moments).
  const quota = await siteQuota(page, context);
  await quota.set((await quota.usage()) + 10_000_000);
  await downloadGeneratedDataset(page, 6);

  const panel = await quickFrozenStep(page);

  await page.getByTestId('step-fit1').click();
  const rows = page.getByTestId('epoch-table').locator('tbody tr');
  await expect(rows).toHaveCount(1, { timeout: 180_000 });
  const notice = page.getByTestId('train-notice');
  await expect(notice).toContainText(
    'Epoch 1 (frozen) is trained, but its automatic save failed: the browser storage is full',
  );
  await expect(notice).toContainText(/quota in use/); // the figures, not a bare refusal
  await expect(notice).toContainText('save it (Save) or export it before closing the tab');
  await expect(notice).toBeInViewport();
  await expect(page.getByTestId('step-fit1')).toBeEnabled({ timeout: 60_000 });
  const tensors = async () => (await request(page, 'memory', {})).numTensors;
  const afterFit = await tensors();
  // Every tab's model panel says the model lives only in memory, and why.
  for (const tab of ['Interpret', 'Train']) {
    await page.getByRole('tab', { name: tab }).click();
    const saved = page.getByRole('tabpanel', { name: tab }).getByTestId('model-saved');
    await expect(saved).toHaveText(
      'unsaved, only in memory: the automatic save failed (storage full) — Save or export it',
    );
    await expect(saved).toBeInViewport();
  }
  await notice.scrollIntoViewIfNeeded();
  await page.screenshot({ path: testInfo.outputPath('autosave-refused.png') });

  // Save while the disk is still full: refused with the same true reason, the model still held.
  await page.getByTestId('step-save1').click();
  const message = page.getByTestId('train-message');
  await expect(message).toContainText('The browser storage is full', { timeout: 60_000 });
  await expect(message).toBeInViewport();
  await expect(panel.getByTestId('model-saved')).toContainText('only in memory');

  // Space freed (the quota back to the browser's own): the same in-memory model saves.
  await quota.restore();
  await page.getByTestId('step-save1').click();
  await expect(message).toHaveText('Saved "stage-1".', { timeout: 60_000 });
  await expect(panel.getByTestId('model-saved')).toHaveText('saved as “stage-1”');
  expect(await tensors()).toBe(afterFit); // the refused saves and the kept one leak nothing
  await watch.expectClean();

  // Kept: after a reload the checkpoint is there with its epoch, and no image was lost.
  await openApp(page);
  await page.getByRole('tab', { name: 'Train' }).click();
  const saved = page.getByTestId('checkpoints').getByRole('row', { name: /stage-1/ });
  await expect(saved.getByRole('cell').nth(2)).toHaveText('1'); // its one epoch
  await saved.getByRole('button', { name: 'Load' }).click();
  await expect(panel.getByTestId('model-saved')).toHaveText('saved as “stage-1”');
  await expect(panel.getByTestId('model-panel')).toContainText('1 epoch trained');
  expect(await storedImages(page)).toHaveLength(18);
});
