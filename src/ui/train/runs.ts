// Epoch rows grouped into the runs (fit_one_cycle calls) that produced them.
import type { EpochRow, RunInfo } from '../../protocol';

/** What a frozen run trained on, as the epoch and runs tables say it. */
export const FROZEN_MODE_TEXT: Record<RunInfo['frozenMode'], string> = {
  fast: 'cached features',
  faithful: 'through the body',
};

/** "frozen (through the body)", "unfrozen": a run's stage and, frozen, what it trained on. */
export function stageText(stage: EpochRow['stage'], run: RunInfo | null): string {
  return stage === 'frozen' && run ? `frozen (${FROZEN_MODE_TEXT[run.frozenMode]})` : stage;
}

export interface RunGroup {
  /** Position in the history, from 1. */
  index: number;
  run: RunInfo | null;
  stage: EpochRow['stage'];
  rows: EpochRow[];
  seconds: number;
  finalError: number;
}

/** Consecutive rows of one run form a group; rows saved before runs were recorded group by stage. */
export function groupRuns(rows: readonly EpochRow[]): RunGroup[] {
  const groups: RunGroup[] = [];
  for (const row of rows) {
    const last = groups[groups.length - 1];
    const same =
      last &&
      (row.run && last.run ? row.run.id === last.run.id : !row.run && !last.run && row.stage === last.stage);
    if (same) {
      last.rows.push(row);
      last.seconds += row.seconds;
      last.finalError = row.errorRate;
    } else
      groups.push({
        index: groups.length + 1,
        run: row.run ?? null,
        stage: row.stage,
        rows: [row],
        seconds: row.seconds,
        finalError: row.errorRate,
      });
  }
  return groups;
}
