// Generated, learnable image classes (a dominant hue plus stripes), encoded by the browser itself.
import { expect, type Page } from '@playwright/test';
import { dropFiles } from './drop';
import { startHost, type FixtureHost } from './fixture-server';

export const CLASS_HUES: Record<string, number> = { reds: 0, greens: 120, blues: 230 };

/**
 * `perClass` generated PNGs per class, drawn and encoded by the browser: path → bytes. `size`: the
 * side, or [width, height].
 */
export async function generatedDatasetFiles(
  page: Page,
  perClass: number,
  size: number | [number, number] = 80,
): Promise<Map<string, Buffer>> {
  const [width, height] = typeof size === 'number' ? [size, size] : size;
  const encoded = await page.evaluate(
    async ({ hues, perClass, width, height }) => {
      const out: Record<string, string> = {};
      for (const [className, hue] of Object.entries(hues)) {
        for (let i = 0; i < perClass; i++) {
          const canvas = new OffscreenCanvas(width, height);
          const ctx = canvas.getContext('2d')!;
          ctx.fillStyle = `hsl(${hue + ((i * 7) % 20) - 10}, 75%, ${40 + (i % 5) * 4}%)`;
          ctx.fillRect(0, 0, width, height);
          ctx.fillStyle = `hsla(${(hue + 180) % 360}, 60%, 50%, 0.5)`;
          for (let s = 0; s < 3; s++) ctx.fillRect(((i + s * 13) % width) * 0.8, 0, width / 10, height);
          const bytes = new Uint8Array(
            await (await canvas.convertToBlob({ type: 'image/png' })).arrayBuffer(),
          );
          let binary = '';
          for (const b of bytes) binary += String.fromCharCode(b);
          out[`${className}/${i}.png`] = btoa(binary);
        }
      }
      return out;
    },
    { hues: CLASS_HUES, perClass, width, height },
  );
  return new Map(Object.entries(encoded).map(([path, b64]) => [path, Buffer.from(b64, 'base64')]));
}

/** Stores `perClass` generated images per class through the app's own importImages request. */
export async function importGeneratedDataset(
  page: Page,
  perClass: number,
  size: number | [number, number] = 80,
): Promise<{ stored: number }> {
  const files = await generatedDatasetFiles(page, perClass, size);
  const images = [...files].map(([path, bytes]) => ({ path, b64: bytes.toString('base64') }));
  return page.evaluate(async (images) => {
    const studio = (
      window as unknown as { __studio: { request(n: string, a: unknown): Promise<{ stored: number }> } }
    ).__studio;
    return studio.request('importImages', {
      images: images.map(({ path, b64 }) => ({
        className: path.split('/')[0],
        path,
        file: new Blob([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], { type: 'image/png' }),
      })),
      maxSize: 500,
    });
  }, images);
}

/**
 * Serves the generated dataset from a real local HTTP host (with CORS) and returns one
 * urls_<class>.csv per class: the user's workflow, with the test's own "internet".
 */
export async function servedGeneratedDataset(
  page: Page,
  perClass: number,
): Promise<{ host: FixtureHost; csvs: { name: string; mimeType: string; buffer: Buffer }[] }> {
  const files = await generatedDatasetFiles(page, perClass);
  const host = await startHost(
    new Map([...files].map(([path, body]) => [`/${path}`, { body, type: 'image/png' }])),
    { cors: true },
  );
  const csvs = Object.keys(CLASS_HUES).map((className) => ({
    name: `urls_${className}.csv`,
    mimeType: 'text/csv',
    buffer: Buffer.from(
      [...files.keys()]
        .filter((path) => path.startsWith(`${className}/`))
        .map((path) => `${host.origin}/${path}`)
        .join('\n'),
    ),
  }));
  return { host, csvs };
}

/** One generated test image of a class, as PNG bytes. */
export async function generatedImage(page: Page, hue: number, size = 80): Promise<Buffer> {
  const b64 = await page.evaluate(
    async ({ hue, size }) => {
      const canvas = new OffscreenCanvas(size, size);
      const ctx = canvas.getContext('2d')!;
      ctx.fillStyle = `hsl(${hue}, 75%, 45%)`;
      ctx.fillRect(0, 0, size, size);
      const bytes = new Uint8Array(await (await canvas.convertToBlob({ type: 'image/png' })).arrayBuffer());
      let s = '';
      for (const b of bytes) s += String.fromCharCode(b);
      return btoa(s);
    },
    { hue, size },
  );
  return Buffer.from(b64, 'base64');
}

/**
 * The generated dataset downloaded as a person does it: its URL lists served on 127.0.0.1, dropped on
 * the Data tab's drop zone, "Download N images" clicked, the download waited out; the host closed after.
 */
export async function downloadGeneratedDataset(page: Page, perClass: number): Promise<void> {
  const served = await servedGeneratedDataset(page, perClass);
  const images = perClass * Object.keys(CLASS_HUES).length;
  try {
    await page.getByRole('tab', { name: 'Data' }).click();
    await dropFiles(page.getByTestId('data-drop'), served.csvs);
    const download = page.getByRole('button', { name: `Download ${images} images` });
    await expect(download).toBeVisible();
    await download.click();
    await expect(page.getByTestId('ingest-progress')).toHaveAttribute('data-running', 'false', {
      timeout: 60_000,
    });
  } finally {
    await served.host.close();
  }
}
