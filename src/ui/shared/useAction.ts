import { useCallback, useState } from 'react';
import { failureCode, type FailureCode } from '../../protocol';
import { useStudioState } from '../studio';

export interface ActionMessage {
  text: string;
  error?: boolean;
  code?: FailureCode;
}

/**
 * The one busy / message / error state of a tab: `run` marks which action runs, clears the last
 * message (no old error above new results) and shows the action's outcome or its failure.
 *
 * `locked`: this tab's action runs, or a job on the model does (started on another tab, or before a
 * reload): the buttons that would start another wait, since the worker runs one job at a time
 * (JobGate). `waitingFor`: that other job's label, for the note that says why they wait.
 */
export function useAction<Id extends string>() {
  const [busy, setBusy] = useState<Id | null>(null);
  const [message, setMessage] = useState<ActionMessage | null>(null);
  const { job } = useStudioState();
  const run = useCallback(async (id: Id, action: () => Promise<string | void>): Promise<boolean> => {
    setBusy(id);
    setMessage(null);
    try {
      const text = await action();
      if (text) setMessage({ text });
      return true;
    } catch (error) {
      setMessage({ text: (error as Error).message, error: true, code: failureCode(error) });
      return false;
    } finally {
      setBusy(null);
    }
  }, []);
  const waitingFor = busy === null && job ? job.label : null;
  return { busy, locked: busy !== null || job !== null, waitingFor, message, setMessage, run };
}
