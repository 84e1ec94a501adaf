// Generated stand-ins for a scraped dataset: distinct JPEGs per class, of varied sizes (about half
// larger than 500 px, so they are shrunk as real downloads are), encoded by Chromium itself and
// written to class folders that serveFolder() serves like any other.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** "18x300" → 18 classes × 300 images in a new temporary folder; returns its path. */
export async function generateSynthetic(browser, spec) {
  const [classes, perClass] = spec.split('x').map(Number);
  if (!classes || !perClass) throw new Error(`--synthetic wants CLASSESxIMAGES, e.g. 18x300 (got ${spec})`);
  const root = mkdtempSync(join(tmpdir(), 'bench-synthetic-'));
  const page = await browser.newPage();
  const t0 = Date.now();
  for (let c = 0; c < classes; c++) {
    const folder = join(root, `class_${String(c).padStart(2, '0')}`);
    mkdirSync(folder);
    for (let start = 0; start < perClass; start += 50) {
      const batch = await page.evaluate(
        async ({ c, start, count }) => {
          const out = [];
          for (let i = start; i < start + count; i++) {
            const w = 300 + ((i * 37 + c * 11) % 500);
            const h = 250 + ((i * 53 + c * 7) % 400);
            const canvas = new OffscreenCanvas(w, h);
            const ctx = canvas.getContext('2d');
            const gradient = ctx.createLinearGradient(0, 0, w, h);
            gradient.addColorStop(0, `hsl(${c * 20}, 60%, 45%)`);
            gradient.addColorStop(1, `hsl(${c * 20 + 40}, 50%, 70%)`);
            ctx.fillStyle = gradient;
            ctx.fillRect(0, 0, w, h);
            let seed = c * 100_003 + i * 7919 + 1;
            const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
            for (let k = 0; k < 40; k++) {
              ctx.fillStyle = `hsla(${random() * 360}, 70%, ${30 + random() * 40}%, 0.7)`;
              ctx.beginPath();
              ctx.ellipse(
                random() * w,
                random() * h,
                5 + random() * w * 0.2,
                5 + random() * h * 0.2,
                random() * 3,
                0,
                7,
              );
              ctx.fill();
            }
            const blob = await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.85 });
            const bytes = new Uint8Array(await blob.arrayBuffer());
            let binary = '';
            for (let j = 0; j < bytes.length; j += 8192)
              binary += String.fromCharCode(...bytes.subarray(j, j + 8192));
            out.push(btoa(binary));
          }
          return out;
        },
        { c, start, count: Math.min(50, perClass - start) },
      );
      batch.forEach((b64, k) =>
        writeFileSync(join(folder, `img_${start + k}.jpg`), Buffer.from(b64, 'base64')),
      );
    }
  }
  await page.close();
  console.log(
    `generated ${classes * perClass} images in ${((Date.now() - t0) / 1000).toFixed(0)} s under ${root}`,
  );
  return root;
}
