// The memory the benchmark's own browser holds: the processes this Node process started, and theirs,
// read from /proc (no fork). Counting every Chromium on the machine instead mixed other runs' and the
// test suite's browsers into a run's peak whenever they shared the machine.
import { readdirSync, readFileSync } from 'node:fs';

/** Parent of every live process, from /proc/<pid>/stat (the name in it may hold spaces and ')'). */
function parents() {
  const parentOf = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parentOf.set(Number(entry), Number(fields[1]));
    } catch {
      // the process ended meanwhile
    }
  }
  return parentOf;
}

/** Every process below `root` (children, grandchildren, …), not `root` itself. */
export function descendants(root = process.pid) {
  const children = new Map();
  for (const [pid, parent] of parents()) {
    if (!children.has(parent)) children.set(parent, []);
    children.get(parent).push(pid);
  }
  const found = [];
  const queue = [...(children.get(root) ?? [])];
  while (queue.length) {
    const pid = queue.pop();
    found.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return found;
}

/** Resident memory, in MB, of the processes below `root` whose name is one of `names`. */
export function descendantMegabytes(names, root = process.pid) {
  let kb = 0;
  for (const pid of descendants(root)) {
    try {
      if (!names.includes(readFileSync(`/proc/${pid}/comm`, 'utf8').trim())) continue;
      kb += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      // the process ended meanwhile
    }
  }
  return kb / 1024;
}
