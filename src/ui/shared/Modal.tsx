import { useEffect, useRef, type ReactNode } from 'react';

/**
 * A modal dialog (the native <dialog>): focus moves in, Escape and a click outside close it, and
 * focus returns to what had it before.
 */
export function Modal({ label, onClose, children }: { label: string; onClose(): void; children: ReactNode }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const close = useRef(onClose);
  close.current = onClose;
  useEffect(() => {
    const element = dialog.current!;
    const opener = document.activeElement as HTMLElement | null;
    element.showModal();
    const onCancel = (event: Event) => {
      event.preventDefault();
      close.current();
    };
    element.addEventListener('cancel', onCancel);
    return () => {
      element.removeEventListener('cancel', onCancel);
      if (element.open) element.close();
      opener?.focus();
    };
  }, []);
  return (
    <dialog
      ref={dialog}
      className="modal"
      aria-label={label}
      onClick={(event) => event.target === dialog.current && close.current()}
    >
      {children}
    </dialog>
  );
}
