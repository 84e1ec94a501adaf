// Delete and relabel of one stored image, each with an undo (same id, same bytes, same split).
import { openStudioDb } from '../../data/db';
import { deleteImage, relabelImage, restoreImage } from '../../data/images';
import { undoStore } from './undo';

export async function deleteWithUndo(id: number): Promise<void> {
  const db = await openStudioDb();
  const record = await deleteImage(db, id);
  if (!record) return;
  undoStore.offerUndo(`Deleted a ${record.className} image.`, () => restoreImage(db, record));
}

export async function relabelWithUndo(id: number, className: string): Promise<void> {
  const db = await openStudioDb();
  const before = await relabelImage(db, id, className);
  if (before === undefined || before === className) return;
  undoStore.offerUndo(`Moved an image from ${before} to ${className}.`, async () => {
    await relabelImage(db, id, before);
  });
}
