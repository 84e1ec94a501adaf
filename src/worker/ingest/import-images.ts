// Dropped image files (a folder per class): verified and shrunk as downloads are, stored with a
// file: URL so dropping the same files again skips what is stored; a full quota stops it, named.
import { openStudioDb, StorageError, storageFailure } from '../../data/db';
import { addImage, storedUrls } from '../../data/images';
import type { LocalImage } from '../../protocol';
import { emptyProgress, record } from './outcomes';
import { verifyAndShrink, type Verified } from './verify';

export async function importImages(
  images: LocalImage[],
  maxSize: number,
): Promise<{ stored: number; failed: number; notStored: number; message?: string }> {
  const db = await openStudioDb();
  const progress = emptyProgress('');
  const known = new Map<string, Set<string>>();
  let stopped: StorageError | null = null;
  let notStored = 0;
  for (const image of images) {
    if (stopped) {
      notStored++;
      continue;
    }
    const url = `file:${image.path}`;
    if (!known.has(image.className)) known.set(image.className, await storedUrls(db, image.className));
    if (known.get(image.className)!.has(url)) continue;
    let verified: Verified;
    try {
      verified = await verifyAndShrink(new Uint8Array(await image.file.arrayBuffer()), maxSize);
    } catch (error) {
      verified = { ok: false, reason: 'corrupt', detail: `the file could not be read (${String(error)})` };
    }
    try {
      await record(db, (r) => addImage(db, r), image.className, url, verified, progress);
    } catch (error) {
      stopped = await storageFailure(error);
      notStored++;
    }
  }
  if (!stopped) return { stored: progress.stored, failed: progress.failed, notStored };
  const what = stopped.full ? 'Storage full' : stopped.message;
  return {
    stored: progress.stored,
    failed: progress.failed,
    notStored,
    message:
      `${what}: ${progress.stored} stored, ${notStored} not stored. ` +
      (stopped.full
        ? 'Free space, then drop the same files again: stored ones are skipped.'
        : 'Drop them again to retry.'),
  };
}
