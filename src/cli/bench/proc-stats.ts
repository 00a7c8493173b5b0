import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** Linux's clock ticks per second for /proc CPU times (USER_HZ: 100 on every mainstream kernel). */
const TICKS_PER_SECOND = 100;

export interface ProcSample {
  pid: number;
  ppid: number;
  /** User + system CPU so far, seconds. */
  cpuSeconds: number;
  rssBytes: number;
}

/** One process's CPU and RSS from /proc, or null when it is gone (or this is not Linux). */
export function sampleProcess(pid: number): ProcSample | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKb = Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0);
    return { pid, ppid: Number(fields[1]), cpuSeconds: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND, rssBytes: rssKb * 1_024 };
  } catch { // not logged: a process that ended between listing and reading is simply no longer measured
    return null;
  }
}

export function commandLineOf(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch { // not logged: the process is gone, it has no command line
    return [];
  }
}

export function allPids(): number[] {
  try {
    return readdirSync('/proc').filter((name) => /^\d+$/.test(name)).map(Number);
  } catch { // not logged: without /proc (not Linux) the bench measures no process
    return [];
  }
}

/** `root` and every process below it. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const pid of allPids()) {
    const sample = sampleProcess(pid);
    if (!sample) continue;
    children.set(sample.ppid, [...(children.get(sample.ppid) ?? []), pid]);
  }
  const tree: number[] = [];
  const visit = (pid: number): void => { tree.push(pid); for (const child of children.get(pid) ?? []) visit(child); };
  visit(root);
  return tree;
}

/** The pid listening on TCP `port` (from /proc/net/tcp{,6} and the processes' socket descriptors), or null. */
export function listenerOf(port: number): number | null {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try { text = readFileSync(table, 'utf8'); } catch { // not logged: no IPv6 table on this kernel
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const columns = line.trim().split(/\s+/);
      const local = columns[1];
      if (!local || columns[3] !== '0A') continue;
      if (parseInt(local.split(':')[1] ?? '', 16) === port && columns[9]) inodes.add(columns[9]);
    }
  }
  if (inodes.size === 0) return null;
  for (const pid of allPids()) {
    let descriptors: string[] = [];
    try { descriptors = readdirSync(`/proc/${pid}/fd`); } catch { // not logged: not ours to read, or gone
      continue;
    }
    for (const fd of descriptors) {
      let target = '';
      try { target = readlinkSync(`/proc/${pid}/fd/${fd}`); } catch { // not logged: closed meanwhile
      continue;
    }
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode && inodes.has(inode)) return pid;
    }
  }
  return null;
}

/** The topmost paysaga process above `pid` (a service's `paysaga up`), so its whole deployment is measured. */
export function paysagaRootOf(pid: number): number {
  let current = pid;
  for (let depth = 0; depth < 8; depth += 1) {
    const parent = sampleProcess(current)?.ppid ?? 0;
    if (parent <= 1 || !isPaysaga(commandLineOf(parent))) return current;
    current = parent;
  }
  return current;
}

export function isPaysaga(commandLine: readonly string[]): boolean {
  return commandLine.some((arg) => /src\/cli\/main\.ts$|bin\/paysaga(\.js)?$/.test(arg));
}

/** A short name for a process: what follows main.ts (`serve saga`, `start`, `up`) or its program's file name. */
export function nameOf(pid: number): string {
  const commandLine = commandLineOf(pid);
  const main = commandLine.findIndex((arg) => /main\.ts$|paysaga(\.js)?$/.test(arg));
  if (main >= 0) {
    const rest = commandLine.slice(main + 1);
    const flag = rest.findIndex((arg) => arg.startsWith('-'));
    return `paysaga ${(flag < 0 ? rest : rest.slice(0, flag)).slice(0, 2).join(' ')}`.trim();
  }
  const program = commandLine.find((arg, index) => index > 0 && /\.(ts|js)$/.test(arg)) ?? commandLine[0] ?? String(pid);
  return program.split('/').pop() ?? program;
}
