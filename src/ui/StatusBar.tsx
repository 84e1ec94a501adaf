import type { ModelState } from '../protocol';
import { useBridge, useStudioState } from './studio';

function modelText(state: ModelState): string {
  switch (state.kind) {
    case 'idle':
      return 'starting…';
    case 'loading':
      return `loading ${Math.round(state.fraction * 100)}%`;
    case 'warming':
      return 'warming up…';
    case 'ready':
      return 'ready';
    case 'error':
      return `error: ${state.message}`;
  }
}

export function StatusBar() {
  const bridge = useBridge();
  const { device, model, fatal } = useStudioState();
  return (
    <footer className="status-bar" data-testid="status-bar" data-model-state={model.kind}>
      <span title="TensorFlow.js backend">
        Backend: <strong data-testid="backend">{device?.backend ?? '…'}</strong>
        {device?.backend === 'wasm' && <span data-testid="threads"> · {device.threads} threads</span>}
      </span>
      <span title={device?.adapter ?? 'Adapter or renderer'} data-testid="adapter">
        {device?.adapter ?? 'detecting device…'}
      </span>
      <span className={`model-state model-${model.kind}`}>
        ResNet50: <span data-testid="model-state">{modelText(model)}</span>
        {model.kind === 'loading' && <progress max={1} value={model.fraction} aria-label="Model download" />}
      </span>
      {device?.fallbackReason && (
        // One line: the explanation is behind a disclosure, so the bar never covers the page.
        <details className="warning fallback" data-testid="fallback">
          <summary>⚠ Why {device.backend}?</summary>
          <p>{device.fallbackReason}</p>
        </details>
      )}
      {fatal && (
        <span className="error" role="alert" data-testid="fatal">
          {fatal}{' '}
          <button type="button" onClick={() => bridge.restart()}>
            Restart engine
          </button>
        </span>
      )}
    </footer>
  );
}
