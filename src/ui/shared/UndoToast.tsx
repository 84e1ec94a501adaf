import { undoStore, useUndoOffer } from './undo';

/** The latest undo offer, above the status bar on every tab. */
export function UndoToast() {
  const offer = useUndoOffer();
  if (!offer) return null;
  return (
    <div className="toast" role="status" data-testid="undo-toast">
      <span>{offer.text}</span>
      <button type="button" className="primary" onClick={() => void undoStore.undoLatest()}>
        Undo
      </button>
      <button type="button" aria-label="Dismiss" onClick={() => undoStore.dismiss()}>
        ×
      </button>
    </div>
  );
}
