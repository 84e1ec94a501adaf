// Epoch rows grouped into the runs (fit_one_cycle calls) that produced them.
import type { EpochRow, RunInfo } from '../../protocol';

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
