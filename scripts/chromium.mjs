// Finds an installed Chrome/Chromium for Playwright (we never download browsers) and the flags
// that make it work headless on machines without a GPU. Shared by the e2e tests and the benchmarks.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CANDIDATES = [
  '/usr/lib/chromium/chromium',
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome-stable',
  '/usr/bin/google-chrome',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
  'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe',
];

export function findChromium() {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`CHROMIUM_PATH=${fromEnv} does not exist`);
    return fromEnv;
  }
  const found = CANDIDATES.find((path) => existsSync(path));
  if (!found) {
    throw new Error(
      'No Chrome or Chromium found. Install one (Debian: apt-get install chromium) or set CHROMIUM_PATH ' +
        'to its executable.',
    );
  }
  return found;
}

export const CHROMIUM_ARGS = [
  '--disable-quic',
  '--no-first-run',
  '--no-default-browser-check',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
  '--enable-unsafe-webgpu',
  '--enable-unsafe-swiftshader',
  '--ignore-gpu-blocklist',
];

const LLVMPIPE_ICD = '/usr/share/vulkan/icd.d/lvp_icd.x86_64.json';

/** Mesa's llvmpipe makes software WebGL ~5× faster than SwiftShader; only point at it if it exists. */
export function chromiumEnv() {
  const env = { ...process.env };
  if (existsSync(LLVMPIPE_ICD) && !env.VK_ICD_FILENAMES) {
    env.VK_ICD_FILENAMES = LLVMPIPE_ICD;
    env.VK_DRIVER_FILES = LLVMPIPE_ICD;
  }
  return env;
}

export function freshUserDataDir() {
  return mkdtempSync(join(tmpdir(), 'chromium-profile-'));
}
