// The data layer's one change notification: every write to the studio's IndexedDB announces which
// stores changed, on a BroadcastChannel every context of this origin hears (this tab's views, the
// workers, other tabs). Views re-read what they show when a store they read changes, so none shows
// data the database no longer holds.
import { STORES } from './schema';

export type StoreName = (typeof STORES)[keyof typeof STORES];

export const CHANGES_CHANNEL = 'deep-art-studio:db-changes';

export interface ChangeMessage {
  stores: StoreName[];
}

/** Writes during a download come by the hundred: announce at most once per this many ms. */
const COALESCE_MS = 150;

let channel: BroadcastChannel | null = null;
let queued: Set<StoreName> | null = null;

/** Announces that the given stores changed (coalesced; delivered to every other listener). */
export function announce(...stores: StoreName[]): void {
  if (typeof BroadcastChannel === 'undefined') return;
  if (queued) {
    for (const s of stores) queued.add(s);
    return;
  }
  queued = new Set(stores);
  setTimeout(() => {
    const message: ChangeMessage = { stores: [...queued!] };
    queued = null;
    (channel ??= new BroadcastChannel(CHANGES_CHANNEL)).postMessage(message);
  }, COALESCE_MS);
}

/**
 * Calls `listener` whenever one of `stores` changes, in any context of this origin. A channel of
 * its own per subscription: a BroadcastChannel hears every other channel object of its name, the
 * announcing one in this same tab included.
 */
export function onStoresChanged(stores: readonly StoreName[], listener: () => void): () => void {
  if (typeof BroadcastChannel === 'undefined') return () => undefined;
  const receiver = new BroadcastChannel(CHANGES_CHANNEL);
  receiver.onmessage = (event: MessageEvent<ChangeMessage>) => {
    if (event.data?.stores?.some((s) => stores.includes(s))) listener();
  };
  return () => receiver.close();
}
