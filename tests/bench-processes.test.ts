// bench's memory readings count the benchmark's own browser only: processes below the Node process
// that started it, not every process of that name on the machine.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
// @ts-expect-error plain ES module of the benchmarks, without types
import { descendantMegabytes, descendants } from '../bench/processes.mjs';

const started: ChildProcess[] = [];
afterEach(() => {
  // Each shell leads its own process group: killing the group ends its sleep too.
  for (const child of started.splice(0)) if (child.pid) process.kill(-child.pid, 'SIGKILL');
});

const live = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('bench memory: the processes a run started', () => {
  it('counts children and grandchildren by name, and not a process of that name elsewhere', async () => {
    // A grandchild: sh → sleep, and an orphan: a sleep whose shell exits at once, so it belongs to
    // another parent (init or a subreaper) — as another run's browser would.
    const shell = spawn('sh', ['-c', 'sleep 30 & wait'], { stdio: 'ignore', detached: true });
    started.push(shell);
    const orphan = Number(
      execFileSync('sh', ['-c', 'sleep 31 >/dev/null 2>&1 & echo $!'], { encoding: 'utf8' }),
    );
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      const below = descendants() as number[];
      expect(below).toContain(shell.pid);
      expect(below.length).toBeGreaterThanOrEqual(2); // the shell and its sleep
      expect(live(orphan)).toBe(true);
      expect(below).not.toContain(orphan);
      expect(below).not.toContain(process.pid);
      // The sleeps' memory: the grandchild's only (one sleep, well under 10 MB), none from the orphan.
      const sleeping = descendantMegabytes(['sleep']) as number;
      expect(sleeping).toBeGreaterThan(0);
      expect(sleeping).toBeLessThan(10);
      expect(descendantMegabytes(['sleep'], shell.pid)).toBe(sleeping);
      expect(descendantMegabytes(['no-such-name'])).toBe(0);
    } finally {
      process.kill(orphan, 'SIGKILL');
    }
  });
});
