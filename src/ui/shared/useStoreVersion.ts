import { createContext, useContext, useEffect, useRef, useState } from 'react';
import { onStoresChanged, type StoreName } from '../../data/changes';

/** Whether the tab panel a view sits in is the one shown (App provides it per panel). */
export const PanelVisible = createContext(true);

/**
 * A number that changes whenever one of `stores` changes, in this tab, a worker or another tab:
 * a view re-reads what it shows when it changes (see data/changes.ts). In a hidden tab panel the
 * changes are noted, not read: the view re-reads once when its panel is shown again (a download
 * announces a change several times a second; hidden views need none of them).
 */
export function useStoreVersion(...stores: StoreName[]): number {
  const visible = useContext(PanelVisible);
  const [version, setVersion] = useState(0);
  const missed = useRef(false);
  const shown = useRef(visible);
  shown.current = visible;
  const key = stores.join(',');
  useEffect(
    () =>
      onStoresChanged(key.split(',') as StoreName[], () => {
        if (shown.current) setVersion((v) => v + 1);
        else missed.current = true;
      }),
    [key],
  );
  useEffect(() => {
    if (visible && missed.current) {
      missed.current = false;
      setVersion((v) => v + 1);
    }
  }, [visible]);
  return version;
}
