import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { isBackendName, LABELS_PATH, MODEL_JSON_PATH } from './protocol';
import { App } from './ui/App';
import { WorkerBridge } from './ui/bridge';
import { StudioContext } from './ui/studio';
import './ui/styles.css';

const params = new URLSearchParams(location.search);
const requested = params.get('backend');
// ?stallSeconds= shortens the stuck-engine watchdog (tests, or a user who knows their machine).
const stallSeconds = Number(params.get('stallSeconds')) || undefined;
const bridge = WorkerBridge.create(stallSeconds);
bridge.init({
  backend: isBackendName(requested) ? requested : undefined,
  raceSoftwareGpu: params.has('raceSoftwareGpu'),
  modelUrl: `${import.meta.env.BASE_URL}${MODEL_JSON_PATH}`,
  labelsUrl: `${import.meta.env.BASE_URL}${LABELS_PATH}`,
});
// End-to-end tests and benchmarks drive the real worker through the same bridge the UI uses.
(window as unknown as { __studio: WorkerBridge }).__studio = bridge;

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <StudioContext.Provider value={bridge}>
      <App />
    </StudioContext.Provider>
  </StrictMode>,
);
