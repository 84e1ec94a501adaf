import type { KernelReport } from '../src/protocol';

export function printTable(rows: Record<string, unknown>[], columns: string[]): void;
export const KERNEL_COLUMNS: string[];
export function kernelRows(
  report: KernelReport,
  size: number,
): { rows: (Record<string, unknown> & { raw?: object })[]; slower: string[] };
