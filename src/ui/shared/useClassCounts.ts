import { useEffect, useState } from 'react';
import { openStudioDb } from '../../data/db';
import { classCounts } from '../../data/images';
import { STORES } from '../../data/schema';
import { useStoreVersion } from './useStoreVersion';

/** Stored images per class, live (re-read whenever the images change anywhere). */
export function useClassCounts(): Map<string, number> | null {
  const version = useStoreVersion(STORES.images);
  const [counts, setCounts] = useState<Map<string, number> | null>(null);
  useEffect(() => {
    let live = true;
    void openStudioDb()
      .then(classCounts)
      .then((found) => live && setCounts(found));
    return () => {
      live = false;
    };
  }, [version]);
  return counts;
}
