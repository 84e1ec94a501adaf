import { useEffect, useRef, type ReactNode } from 'react';
import { STEP_TITLES, STEPS, type StepId, type StepState } from './recipe';
import { TrainProgressLine } from './TrainProgressLine';

export interface StepView {
  id: StepId;
  /** Inputs of the step (epochs, learning rate). */
  controls?: ReactNode;
  /** "≈ 4 min here", shown before it runs. */
  estimate?: string;
  hint?: string;
}

const STATE_TEXT: Record<StepState, string> = { done: 'done', next: 'next', running: 'running', todo: '' };

/** The recipe's six steps, each with its state; the running one holds its progress and Cancel. */
export function Recipe({
  steps,
  states,
  disabled,
  onRun,
}: {
  steps: StepView[];
  states: Record<StepId, StepState>;
  disabled: boolean;
  onRun(id: StepId): void;
}) {
  const running = STEPS.find((s) => states[s] === 'running');
  const runningItem = useRef<HTMLLIElement>(null);
  useEffect(() => {
    // The running step and its progress come into view (a laptop screen shows little below).
    if (running) runningItem.current?.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  }, [running]);
  return (
    <ol className="recipe" data-testid="recipe">
      {steps.map((step) => {
        const state = states[step.id];
        return (
          <li
            key={step.id}
            className={`step step-${state}`}
            data-state={state}
            data-testid={`recipe-${step.id}`}
            ref={state === 'running' ? runningItem : undefined}
          >
            <div className="step-line">
              <span
                className={`step-state state-${state}`}
                role="img"
                aria-label={STATE_TEXT[state] || 'to do'}
              >
                {state === 'done' ? '✓' : state === 'running' ? '…' : state === 'next' ? '→' : ''}
              </span>
              <strong>{STEP_TITLES[step.id]}</strong>
              {step.hint && <span className="hint">{step.hint}</span>}
              {step.controls}
              <button
                type="button"
                className={state === 'next' ? 'primary' : undefined}
                disabled={disabled}
                onClick={() => onRun(step.id)}
                data-testid={`step-${step.id}`}
              >
                {state === 'running' ? 'Running…' : step.id.startsWith('save') ? 'Save' : 'Run'}
              </button>
              {step.estimate && state !== 'running' && (
                <span className="muted small" data-testid={`estimate-${step.id}`}>
                  {step.estimate}
                </span>
              )}
            </div>
            {state === 'running' && <TrainProgressLine />}
          </li>
        );
      })}
    </ol>
  );
}
