import { createContext, useContext, useSyncExternalStore } from 'react';
import type { BridgeSnapshot, WorkerBridge } from './bridge';

export const StudioContext = createContext<WorkerBridge | null>(null);

export function useBridge(): WorkerBridge {
  const bridge = useContext(StudioContext);
  if (!bridge) throw new Error('useBridge outside <StudioContext.Provider>');
  return bridge;
}

export function useStudioState(): BridgeSnapshot {
  const bridge = useBridge();
  return useSyncExternalStore(bridge.subscribe, bridge.getSnapshot);
}
