// Drops files on an element the way a person's drag does: dragenter, dragover and drop events
// carrying a real DataTransfer of File objects, dispatched on the drop zone.
import type { Locator } from '@playwright/test';

export interface DropFile {
  name: string;
  mimeType: string;
  buffer: Buffer;
}

export async function dropFiles(zone: Locator, files: DropFile[]): Promise<void> {
  const encoded = files.map((f) => ({ name: f.name, type: f.mimeType, base64: f.buffer.toString('base64') }));
  const dataTransfer = await zone.page().evaluateHandle((files) => {
    const transfer = new DataTransfer();
    for (const f of files) {
      const binary = atob(f.base64);
      const bytes = new Uint8Array(binary.length);
      for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
      transfer.items.add(new File([bytes], f.name, { type: f.type }));
    }
    return transfer;
  }, encoded);
  await dropTransfer(zone, dataTransfer);
}

/** Drops an already built DataTransfer (e.g. of a large File made inside the page). */
export async function dropTransfer(zone: Locator, dataTransfer: unknown): Promise<void> {
  for (const type of ['dragenter', 'dragover', 'drop']) await zone.dispatchEvent(type, { dataTransfer });
}

export const csvFile = (name: string, text: string): DropFile => ({
  name,
  mimeType: 'text/csv',
  buffer: Buffer.from(text),
});
