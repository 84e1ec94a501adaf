import { useEffect, useState } from 'react';
import { openStudioDb } from '../../data/db';
import { imageIds } from '../../data/images';
import { STORES } from '../../data/schema';
import { useStoreVersion } from '../shared/useStoreVersion';

/** The ids of every stored image, live: views drop what the database no longer holds. */
export function useExistingIds(): Set<number> | null {
  const version = useStoreVersion(STORES.images);
  const [ids, setIds] = useState<Set<number> | null>(null);
  useEffect(() => {
    let live = true;
    void openStudioDb()
      .then((db) => imageIds(db))
      .then((found) => live && setIds(new Set(found)));
    return () => {
      live = false;
    };
  }, [version]);
  return ids;
}
