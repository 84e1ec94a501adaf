// The site's storage quota as a nearly full disk would leave it, set through DevTools
// (Storage.overrideQuotaForOrigin) on the real browser's quota. Chromium keeps the quota it first
// reads for a site, so lower it before the site's first write.
import type { BrowserContext, Page } from '@playwright/test';

export async function siteQuota(page: Page, context: BrowserContext) {
  const cdp = await context.newCDPSession(page);
  const origin = new URL(page.url()).origin;
  return {
    /** Bytes the site uses now (the service worker's cached app, the weights, what the app stored). */
    usage: () =>
      page.evaluate(async () => {
        await navigator.serviceWorker.ready;
        return (await navigator.storage.estimate()).usage ?? 0;
      }),
    set: (quotaSize: number) => cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize }),
    /** The browser's own quota again: space freed. */
    restore: () => cdp.send('Storage.overrideQuotaForOrigin', { origin }),
  };
}
