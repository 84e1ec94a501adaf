// Collects what must never happen on a page: uncaught errors and unhandled rejections, dialogs, and
// Content-Security-Policy violations (the app runs under a strict policy).
import { expect, type Page } from '@playwright/test';

export function watchPage(page: Page) {
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('dialog', (dialog) => {
    problems.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  page.on('console', (message) => {
    if (
      message.type() === 'error' &&
      /Content Security Policy|Refused to (load|execute|connect|create)/i.test(message.text())
    )
      problems.push(`CSP: ${message.text()}`);
  });
  page.on('worker', (worker) =>
    worker.on('console', (message) => {
      if (message.type() === 'error' && /Content Security Policy/i.test(message.text()))
        problems.push(`CSP (worker): ${message.text()}`);
    }),
  );
  return {
    problems,
    async expectClean() {
      expect(problems).toEqual([]);
      const fatal = await page.evaluate(
        () =>
          (
            window as unknown as { __studio: { getSnapshot(): { fatal: string | null } } }
          ).__studio.getSnapshot().fatal,
      );
      expect(fatal).toBeNull();
    },
  };
}
