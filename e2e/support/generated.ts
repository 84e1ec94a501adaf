// Generated, learnable image classes (a dominant hue plus stripes), encoded by the browser itself.
import type { Page } from '@playwright/test';

export const CLASS_HUES: Record<string, number> = { reds: 0, greens: 120, blues: 230 };

/** Stores `perClass` generated images per class through the app's own importImages request. */
export async function importGeneratedDataset(
  page: Page,
  perClass: number,
  size = 80,
): Promise<{ stored: number }> {
  return page.evaluate(
    async ({ hues, perClass, size }) => {
      const images: { className: string; path: string; file: Blob }[] = [];
      for (const [className, hue] of Object.entries(hues)) {
        for (let i = 0; i < perClass; i++) {
          const canvas = new OffscreenCanvas(size, size);
          const ctx = canvas.getContext('2d')!;
          ctx.fillStyle = `hsl(${hue + ((i * 7) % 20) - 10}, 75%, ${40 + (i % 5) * 4}%)`;
          ctx.fillRect(0, 0, size, size);
          ctx.fillStyle = `hsla(${(hue + 180) % 360}, 60%, 50%, 0.5)`;
          for (let s = 0; s < 3; s++) ctx.fillRect(((i + s * 13) % size) * 0.8, 0, size / 10, size);
          images.push({
            className,
            path: `${className}/${i}.png`,
            file: await canvas.convertToBlob({ type: 'image/png' }),
          });
        }
      }
      const studio = (
        window as unknown as { __studio: { request(n: string, a: unknown): Promise<{ stored: number }> } }
      ).__studio;
      return studio.request('importImages', { images, maxSize: 500 });
    },
    { hues: CLASS_HUES, perClass, size },
  );
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
