// Importing a classifier file (.artmodel: one exported here, or train.py's result) as a checkpoint
// and the current model. One button and one outcome line, used by Predict and by Train elsewhere.
import { useRef } from 'react';
import type { WorkerBridge } from '../bridge';

/** Imports the file (its name, less the extension, names the checkpoint); the outcome line. */
export async function importClassifier(bridge: WorkerBridge, file: File): Promise<string> {
  const info = await bridge.request('importModel', { file, name: file.name.replace(/\.[^.]+$/, '') });
  const last = info.history[info.history.length - 1];
  return (
    `Loaded "${info.name}" as the current model (${info.classes.length} classes, ${info.stage}, ` +
    `${info.history.length} epochs` +
    (last ? `, error rate ${(last.errorRate * 100).toFixed(1)} %` : '') +
    '): Interpret and Predict use it now; it is also in the checkpoints.'
  );
}

/** A button that opens the file picker for one .artmodel file. */
export function ImportModelButton({
  label,
  testId,
  disabled = false,
  onFile,
}: {
  label: string;
  /** The hidden file input's test id (tests set its files). */
  testId: string;
  disabled?: boolean;
  onFile(file: File): void;
}) {
  const input = useRef<HTMLInputElement>(null);
  return (
    <>
      <button type="button" onClick={() => input.current?.click()} disabled={disabled}>
        {label}
      </button>
      <input
        ref={input}
        type="file"
        accept=".artmodel"
        hidden
        data-testid={testId}
        onChange={(e) => {
          const file = e.target.files?.[0];
          e.target.value = '';
          if (file) onFile(file);
        }}
      />
    </>
  );
}
