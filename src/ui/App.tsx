import { useEffect, useRef, useState } from 'react';
import { StatusBar } from './StatusBar';
import { useStudioState } from './studio';
import { DataTab } from './data/DataTab';
import { InterpretTab } from './interpret/InterpretTab';
import { PredictTab } from './tabs/PredictTab';
import { TrainTab } from './train/TrainTab';
import { JobIndicator } from './jobs/JobIndicator';
import { useJobStatus } from './jobs/useJobStatus';
import { UndoToast } from './shared/UndoToast';
import { UpdatePrompt } from './pwa/UpdatePrompt';
import { PanelVisible } from './shared/useStoreVersion';

const TABS = [
  { id: 'data', title: 'Data', Component: DataTab },
  { id: 'train', title: 'Train', Component: TrainTab },
  { id: 'interpret', title: 'Interpret', Component: InterpretTab },
  { id: 'predict', title: 'Predict', Component: PredictTab },
] as const;
type TabId = (typeof TABS)[number]['id'];

const LAST_TAB = 'studio:last-tab';

function firstTab(): TabId {
  const saved = localStorage.getItem(LAST_TAB);
  // A first visit starts where the workflow starts; later visits where the user left.
  return TABS.some((t) => t.id === saved) ? (saved as TabId) : 'data';
}

/**
 * The running job in the browser tab's title (visible from other tabs and windows), and a warning
 * before the page is closed or reloaded while it runs.
 */
function useJobTitleAndGuard(): void {
  const status = useJobStatus();
  const verb = status?.kind === 'ingest' ? 'Downloading' : status?.label.split(' · ')[0];
  const title = status
    ? `${verb}${status.fraction !== null ? ` ${Math.floor(status.fraction * 100)}%` : ''} · Deep Art Studio`
    : 'Deep Art Studio';
  useEffect(() => {
    document.title = title;
  }, [title]);
  const running = status !== null;
  useEffect(() => {
    if (!running) return;
    const warn = (event: BeforeUnloadEvent) => {
      event.preventDefault();
      event.returnValue = ''; // older Chromium needs it to show the prompt
    };
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [running]);
}

export function App() {
  const [active, setActive] = useState<TabId>(firstTab);
  const { engine } = useStudioState();
  const tabs = useRef<(HTMLButtonElement | null)[]>([]);
  useJobTitleAndGuard();
  const choose = (id: TabId) => {
    // Every panel shares the window's scroll: a tab opens at its top (its model panel, its first
    // step), not wherever the last one was — and a smooth scroll still running there stops.
    if (id !== active) window.scrollTo({ top: 0, behavior: 'instant' });
    setActive(id);
    localStorage.setItem(LAST_TAB, id);
  };
  // ARIA tabs: arrow keys, Home and End move between tabs; only the selected one is in the Tab order.
  const onKeyDown = (event: React.KeyboardEvent, index: number) => {
    const last = TABS.length - 1;
    const next = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: last }[event.key];
    if (next === undefined) return;
    event.preventDefault();
    const target = (next + TABS.length) % TABS.length;
    choose(TABS[target].id);
    tabs.current[target]?.focus();
  };
  return (
    <div className="app">
      <header className="app-header">
        <h1>
          Deep Art Studio <span className="tagline">your images never leave your browser</span>
        </h1>
        <nav role="tablist" aria-label="Workflow">
          {TABS.map(({ id, title }, index) => (
            <button
              key={id}
              ref={(element) => {
                tabs.current[index] = element;
              }}
              role="tab"
              id={`tab-${id}`}
              aria-selected={active === id}
              aria-controls={`panel-${id}`}
              tabIndex={active === id ? 0 : -1}
              className="tab"
              onClick={() => choose(id)}
              onKeyDown={(event) => onKeyDown(event, index)}
            >
              {title}
            </button>
          ))}
        </nav>
        <JobIndicator />
      </header>
      <main>
        {TABS.map(({ id, Component }) => (
          <section
            key={id}
            role="tabpanel"
            id={`panel-${id}`}
            aria-labelledby={`tab-${id}`}
            hidden={active !== id}
            className="panel"
          >
            {/* A restarted engine has no learner: every view starts fresh with it. */}
            <PanelVisible.Provider value={active === id}>
              <Component key={engine} />
            </PanelVisible.Provider>
          </section>
        ))}
      </main>
      <UndoToast />
      <UpdatePrompt />
      <StatusBar />
    </div>
  );
}
