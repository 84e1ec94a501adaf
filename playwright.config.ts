import { defineConfig } from '@playwright/test';
import { CHROMIUM_ARGS, chromiumEnv, findChromium } from './scripts/chromium.mjs';

const PORT = 5199;

export default defineConfig({
  testDir: './e2e',
  timeout: 180_000,
  expect: { timeout: 30_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  outputDir: 'test-results',
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    launchOptions: { executablePath: findChromium(), args: CHROMIUM_ARGS, env: chromiumEnv() },
    // Traces cost time: with DOM snapshots, recorded for every test, they made tests ~40 % slower on
    // 2 cores (measured: the shell test 9.9 s → 17.6 s). CI keeps no artefacts, so none there; locally a
    // failing test keeps its timeline, console and screencast (~10 %); `--trace on` adds the snapshots.
    trace: process.env.CI ? 'off' : { mode: 'retain-on-failure', screenshots: true, snapshots: false },
    screenshot: 'only-on-failure',
  },
  webServer: {
    // The production build, as users get it (the dev server reloads pages while it discovers deps).
    command: `npx vite build --outDir dist-e2e --emptyOutDir --logLevel warn && npx vite preview --outDir dist-e2e --host 127.0.0.1 --port ${PORT} --strictPort`,
    url: `http://127.0.0.1:${PORT}`,
    reuseExistingServer: !process.env.CI,
    timeout: 120_000,
    // The image relay may fetch from the 127.0.0.1 fixture hosts (refused without this switch).
    env: { DEEPART_RELAY_ALLOW_LOOPBACK: '1' },
  },
});
