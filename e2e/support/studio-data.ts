// Reading what the app stored, straight from its IndexedDB, and making test images in the browser.
import type { Page } from '@playwright/test';

export /** Distinct coloured patterns per class, encoded by the browser itself. */
async function makeImages(
  page: Page,
  specs: { name: string; hue: number; w: number; h: number; type: string }[],
) {
  const encoded = await page.evaluate(async (specs) => {
    const out: Record<string, string> = {};
    for (const s of specs) {
      const canvas = new OffscreenCanvas(s.w, s.h);
      const ctx = canvas.getContext('2d')!;
      ctx.fillStyle = `hsl(${s.hue}, 80%, 50%)`;
      ctx.fillRect(0, 0, s.w, s.h);
      ctx.fillStyle = `hsl(${(s.hue + 180) % 360}, 80%, 30%)`;
      for (let i = 0; i < 6; i++) ctx.fillRect((i * s.w) / 6, ((i * 7) % 5) * (s.h / 5), s.w / 12, s.h / 3);
      const blob = await canvas.convertToBlob({ type: s.type, quality: 0.9 });
      const bytes = new Uint8Array(await blob.arrayBuffer());
      let binary = '';
      for (const b of bytes) binary += String.fromCharCode(b);
      out[s.name] = btoa(binary);
    }
    return out;
  }, specs);
  return new Map(Object.entries(encoded).map(([name, b64]) => [name, Buffer.from(b64, 'base64')]));
}

export async function storedImages(page: Page) {
  return page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const r = indexedDB.open('deep-art-studio');
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    const all = await new Promise<
      {
        className: string;
        width: number;
        height: number;
        url: string;
        data?: ArrayBuffer;
        type?: string;
        blob?: Blob;
      }[]
    >((resolve) => {
      const r = db.transaction('images').objectStore('images').getAll();
      r.onsuccess = () => resolve(r.result);
    });
    db.close();
    return all.map((i) => ({
      className: i.className,
      width: i.width,
      height: i.height,
      url: i.url,
      type: i.type ?? i.blob?.type,
      size: i.data?.byteLength ?? i.blob?.size,
    }));
  });
}

/** Every recorded failure, by URL. */
export async function storedFailures(page: Page): Promise<Map<string, { reason: string; detail: string }>> {
  const all = await page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const r = indexedDB.open('deep-art-studio');
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    const rows = await new Promise<{ url: string; reason: string; detail: string }[]>((resolve) => {
      const r = db.transaction('failures').objectStore('failures').getAll();
      r.onsuccess = () => resolve(r.result);
    });
    db.close();
    return rows.map(({ url, reason, detail }) => ({ url, reason, detail }));
  });
  return new Map(all.map((f) => [f.url, { reason: f.reason, detail: f.detail }]));
}
