import { useEffect, useState } from 'react';
import { onStoresChanged, type StoreName } from '../../data/changes';

/**
 * A number that changes whenever one of `stores` changes, in this tab, a worker or another tab:
 * a view re-reads what it shows when it changes (see data/changes.ts).
 */
export function useStoreVersion(...stores: StoreName[]): number {
  const [version, setVersion] = useState(0);
  const key = stores.join(',');
  useEffect(() => onStoresChanged(key.split(',') as StoreName[], () => setVersion((v) => v + 1)), [key]);
  return version;
}
