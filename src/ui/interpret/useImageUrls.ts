import { useEffect, useState } from 'react';
import { openStudioDb } from '../../data/db';
import { imageBlob } from '../../data/images';
import { STORES } from '../../data/schema';

/** Object URLs of stored images by id (revoked when the set changes). */
export function useImageUrls(ids: number[]): Map<number, string> {
  const [urls, setUrls] = useState(new Map<number, string>());
  const key = ids.join(',');
  useEffect(() => {
    let live = true;
    const made: string[] = [];
    void (async () => {
      const db = await openStudioDb();
      const out = new Map<number, string>();
      for (const id of key ? key.split(',').map(Number) : []) {
        const record = await db.get(STORES.images, id);
        if (record) {
          const url = URL.createObjectURL(imageBlob(record));
          made.push(url);
          out.set(id, url);
        }
      }
      if (live) setUrls(out);
    })();
    return () => {
      live = false;
      made.forEach((u) => URL.revokeObjectURL(u));
    };
  }, [key]);
  return urls;
}
