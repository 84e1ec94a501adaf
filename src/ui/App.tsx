import { useState } from 'react';
import { StatusBar } from './StatusBar';
import { useStudioState } from './studio';
import { DataTab } from './data/DataTab';
import { InterpretTab } from './interpret/InterpretTab';
import { PredictTab } from './tabs/PredictTab';
import { TrainTab } from './train/TrainTab';

const TABS = [
  { id: 'data', title: 'Data', Component: DataTab },
  { id: 'train', title: 'Train', Component: TrainTab },
  { id: 'interpret', title: 'Interpret', Component: InterpretTab },
  { id: 'predict', title: 'Predict', Component: PredictTab },
] as const;
type TabId = (typeof TABS)[number]['id'];

export function App() {
  const [active, setActive] = useState<TabId>('predict');
  const { engine } = useStudioState();
  return (
    <div className="app">
      <header className="app-header">
        <h1>
          Deep Art Studio <span className="tagline">your images never leave your browser</span>
        </h1>
        <nav role="tablist" aria-label="Workflow">
          {TABS.map(({ id, title }) => (
            <button
              key={id}
              role="tab"
              id={`tab-${id}`}
              aria-selected={active === id}
              aria-controls={`panel-${id}`}
              className="tab"
              onClick={() => setActive(id)}
            >
              {title}
            </button>
          ))}
        </nav>
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
            <Component key={engine} />
          </section>
        ))}
      </main>
      <StatusBar />
    </div>
  );
}
