// The studio's one undo: a reversible action (delete, relabel) offers "Undo" for a few seconds; the
// toast in the app shell shows the latest offer. Owned here, changed only through these methods.
import { useSyncExternalStore } from 'react';

export interface UndoOffer {
  id: number;
  text: string;
  undo(): Promise<void>;
  expiresAt: number;
}

export const UNDO_SECONDS = 8;

class UndoStore {
  private offer: UndoOffer | null = null;
  private nextId = 1;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly listeners = new Set<() => void>();

  /** Offers to undo what was just done; replaces an older offer (that one stays done). */
  offerUndo(text: string, undo: () => Promise<void>): void {
    clearTimeout(this.timer);
    const offer = { id: this.nextId++, text, undo, expiresAt: Date.now() + UNDO_SECONDS * 1000 };
    this.set(offer);
    this.timer = setTimeout(() => this.offer === offer && this.set(null), UNDO_SECONDS * 1000);
  }

  async undoLatest(): Promise<void> {
    const offer = this.offer;
    if (!offer) return;
    this.set(null);
    await offer.undo();
  }

  dismiss(): void {
    this.set(null);
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  current = (): UndoOffer | null => this.offer;

  private set(offer: UndoOffer | null): void {
    this.offer = offer;
    for (const l of this.listeners) l();
  }
}

export const undoStore = new UndoStore();

export function useUndoOffer(): UndoOffer | null {
  return useSyncExternalStore(undoStore.subscribe, undoStore.current);
}
