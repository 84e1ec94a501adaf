import { useState } from 'react';

/** A destructive action that asks first, in place: "Delete" → "Delete stage-1? [Delete] [Keep]". */
export function ConfirmButton({
  label,
  question,
  confirmLabel = label,
  onConfirm,
  disabled,
  testId,
}: {
  label: string;
  question: string;
  confirmLabel?: string;
  onConfirm(): void;
  disabled?: boolean;
  testId?: string;
}) {
  const [asking, setAsking] = useState(false);
  if (!asking)
    return (
      <button type="button" disabled={disabled} onClick={() => setAsking(true)} data-testid={testId}>
        {label}
      </button>
    );
  return (
    <span className="confirm" role="group" aria-label={question}>
      {question}{' '}
      <button
        type="button"
        className="danger"
        autoFocus
        onClick={() => {
          setAsking(false);
          onConfirm();
        }}
      >
        {confirmLabel}
      </button>{' '}
      <button type="button" onClick={() => setAsking(false)}>
        Cancel
      </button>
    </span>
  );
}
