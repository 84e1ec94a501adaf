import { useEffect, useState } from 'react';
import { STORES } from '../../data/schema';
import type { CheckpointInfo } from '../../protocol';
import { useStoreVersion } from '../shared/useStoreVersion';
import { useBridge, useStudioState } from '../studio';

/** The stored checkpoints, newest first, re-read whenever any context saves or deletes one. */
export function useCheckpoints(): CheckpointInfo[] {
  const bridge = useBridge();
  const { engine } = useStudioState();
  const version = useStoreVersion(STORES.checkpoints);
  const [checkpoints, setCheckpoints] = useState<CheckpointInfo[]>([]);
  useEffect(() => {
    let live = true;
    bridge.request('listCheckpoints', {}).then(
      (found) => live && setCheckpoints(found),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [bridge, version, engine]);
  return checkpoints;
}
