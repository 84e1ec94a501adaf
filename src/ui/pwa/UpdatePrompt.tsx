// Registers the service worker (built app only: see src/sw/service-worker.ts) and, when a new
// version of the app has been downloaded in the background, offers to switch to it. The new version
// waits until the user clicks: a reload in the middle of a training run is the user's choice.
import { useEffect, useRef, useState } from 'react';

export function UpdatePrompt() {
  const [waiting, setWaiting] = useState<ServiceWorker | null>(null);
  const switching = useRef(false);
  const reloaded = useRef(false);
  /** Once, whichever sign of the switch comes first. */
  const reloadOnce = () => {
    if (!switching.current || reloaded.current) return;
    reloaded.current = true;
    location.reload();
  };
  useEffect(() => {
    if (!import.meta.env.PROD || !('serviceWorker' in navigator)) return;
    const container = navigator.serviceWorker;
    const onControllerChange = () => reloadOnce();
    container.addEventListener('controllerchange', onControllerChange);
    let live = true;
    void container
      .register('/sw.js')
      .then((registration) => {
        // Only an update asks: on a first visit there is no old version to leave.
        const offer = () => {
          if (live && registration.waiting && container.controller) setWaiting(registration.waiting);
        };
        offer();
        registration.addEventListener('updatefound', () => {
          const installing = registration.installing;
          installing?.addEventListener('statechange', () => {
            if (installing.state === 'installed') offer();
          });
        });
      })
      .catch(() => undefined); // no service worker: the app still works, online
    return () => {
      live = false;
      container.removeEventListener('controllerchange', onControllerChange);
    };
  }, []);
  if (!waiting) return null;
  return (
    <div className="toast update-prompt" role="status" data-testid="update-prompt">
      A new version of the studio is ready.{' '}
      <button
        type="button"
        className="primary"
        onClick={() => {
          switching.current = true;
          // The page's controller changing is the usual sign; the worker reaching "activated" is
          // the other (seen missing once in a loaded test run: no controllerchange, no reload).
          waiting.addEventListener('statechange', () => {
            if (waiting.state === 'activated') reloadOnce();
          });
          if (waiting.state === 'activated') reloadOnce();
          // eslint-disable-next-line no-restricted-properties -- the service worker, not the ML worker: its one message
          waiting.postMessage({ type: 'skip-waiting' });
        }}
      >
        Reload
      </button>
    </div>
  );
}
