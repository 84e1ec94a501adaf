// A stored image that stops decoding (its bytes damaged after the download verified them) stops the
// fit with a message that names the image by its URL and the browser's reason, in view at 1280×720;
// the images stay stored and the recipe's step can be run again. Driven through the UI.
import { test, expect } from '@playwright/test';
import { openApp, quickFrozenStep } from './support/app';
import { downloadGeneratedDataset } from './support/generated';
import { storedImages } from './support/studio-data';
import { watchPage } from './support/watch';

test('a stored image that no longer decodes is named, with its reason, and nothing is lost', async ({
  page,
}, testInfo) => {
  test.setTimeout(300_000);
  await page.setViewportSize({ width: 1280, height: 720 });
  const watch = watchPage(page);
  await openApp(page);
  await downloadGeneratedDataset(page, 6);

  // The bytes of one stored image damaged in place (as a disk or an extension might), in the app's
  // real IndexedDB: the record keeps its URL, class and size; only its image no longer decodes.
  const damaged = await page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const r = indexedDB.open('deep-art-studio');
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    const store = db.transaction('images', 'readwrite').objectStore('images');
    const url = await new Promise<string>((resolve, reject) => {
      const cursor = store.openCursor();
      cursor.onsuccess = () => {
        const record = cursor.result!.value as { url: string; data?: ArrayBuffer; blob?: Blob };
        const bytes = new TextEncoder().encode('these bytes were an image once').buffer;
        cursor.result!.update({ ...record, data: bytes, blob: undefined });
        resolve(record.url);
      };
      cursor.onerror = () => reject(cursor.error);
    });
    await new Promise((resolve) => (store.transaction.oncomplete = resolve));
    db.close();
    return url;
  });

  await quickFrozenStep(page);
  await page.getByTestId('step-fit1').click();
  const message = page.getByTestId('train-message');
  await expect(message).toContainText(`The stored image ${damaged} could not be decoded`, {
    timeout: 180_000,
  });
  await expect(message).toContainText('delete it there, then train again');
  await expect(message).toBeInViewport();
  await page.screenshot({ path: testInfo.outputPath('unreadable-image.png') });
  await expect(page.getByTestId('step-fit1')).toBeEnabled();
  await expect(page.getByTestId('epoch-table').locator('tbody tr')).toHaveCount(0);
  expect(await storedImages(page)).toHaveLength(18); // nothing removed behind the person's back
  await watch.expectClean();
});
