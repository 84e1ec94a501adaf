import { useEffect, useRef, useState, type DragEvent } from 'react';

interface Props {
  accept: string;
  multiple?: boolean;
  disabled?: boolean;
  label: string;
  testId?: string;
  onFiles(files: File[]): void;
}

/** Drag and drop, a file picker, and paste (Ctrl+V) while the zone is on screen. */
export function DropZone({ accept, multiple = false, disabled = false, label, testId, onFiles }: Props) {
  const input = useRef<HTMLInputElement>(null);
  const zone = useRef<HTMLDivElement>(null);
  const [over, setOver] = useState(false);

  useEffect(() => {
    const onPaste = (event: ClipboardEvent) => {
      if (disabled || !zone.current?.offsetParent) return;
      const files = Array.from(event.clipboardData?.files ?? []);
      if (files.length) onFiles(multiple ? files : files.slice(0, 1));
    };
    window.addEventListener('paste', onPaste);
    return () => window.removeEventListener('paste', onPaste);
  }, [disabled, multiple, onFiles]);

  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setOver(false);
    if (disabled) return;
    const files = Array.from(event.dataTransfer.files);
    if (files.length) onFiles(multiple ? files : files.slice(0, 1));
  };

  return (
    <div
      ref={zone}
      className={`drop-zone${over ? ' over' : ''}${disabled ? ' disabled' : ''}`}
      data-testid={testId}
      onDragOver={(event) => {
        event.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={onDrop}
    >
      <p>{label}</p>
      <button type="button" disabled={disabled} onClick={() => input.current?.click()}>
        Choose file{multiple ? 's' : ''}…
      </button>
      <input
        ref={input}
        type="file"
        accept={accept}
        multiple={multiple}
        hidden
        data-testid={testId ? `${testId}-input` : undefined}
        onChange={(event) => {
          const files = Array.from(event.target.files ?? []);
          event.target.value = '';
          if (files.length) onFiles(files);
        }}
      />
    </div>
  );
}
