import { useCallback, useState } from 'react';
import { failureCode, type FailureCode } from '../../protocol';

export interface ActionMessage {
  text: string;
  error?: boolean;
  code?: FailureCode;
}

/**
 * The one busy / message / error state of a tab: `run` marks which action runs, clears the last
 * message (no old error above new results) and shows the action's outcome or its failure.
 */
export function useAction<Id extends string>() {
  const [busy, setBusy] = useState<Id | null>(null);
  const [message, setMessage] = useState<ActionMessage | null>(null);
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
  return { busy, message, setMessage, run };
}
