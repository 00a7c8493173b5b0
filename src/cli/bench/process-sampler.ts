import { allPids, commandLineOf, sampleProcess } from './proc-stats.ts';

/** What one measured process (or group of processes, e.g. every PostgreSQL backend) used during the run. */
export interface ProcessUsage {
  name: string;
  pids: number[];
  cpuSeconds: number;
  /** cpuSeconds over the wall time measured: 1.0 is one core busy all along. */
  cores: number;
  peakRssMb: number;
  lastRssMb: number;
}

export interface MeasuredGroup {
  name: string;
  /** The pids of the group now (called at every sample: services restart, backends come and go). */
  pids: () => number[];
}

/** The machine's PostgreSQL server and Kafka broker, shared with anything else on the machine. */
export function infrastructureGroups(): MeasuredGroup[] {
  const matching = (test: (commandLine: string[]) => boolean) => (): number[] => allPids().filter((pid) => test(commandLineOf(pid)));
  return [
    { name: 'postgresql (all backends)', pids: matching((line) => /(^|\/)postgres(:|$)/.test(line[0] ?? '')) },
    { name: 'kafka broker', pids: matching((line) => line.some((arg) => arg === 'kafka.Kafka')) },
  ];
}

/**
 * Samples CPU and RSS of groups every `everyMs` from /proc. CPU is the sum of
 * each pid's ticks since the pid was first seen, so a process that starts
 * mid-run counts from then.
 */
export class ProcessSampler {
  readonly #groups: MeasuredGroup[];
  readonly #state = new Map<string, { first: Map<number, number>; last: Map<number, number>; peakRss: number; lastRss: number; pids: Set<number> }>();
  #timer: NodeJS.Timeout | null = null;
  #startedAt = 0;
  #stoppedAt = 0;

  constructor(groups: MeasuredGroup[]) {
    this.#groups = groups;
  }

  start(everyMs = 500): void {
    this.#startedAt = performance.now();
    this.#sample();
    this.#timer = setInterval(() => this.#sample(), everyMs);
  }

  stop(): ProcessUsage[] {
    if (this.#timer) clearInterval(this.#timer);
    this.#sample();
    this.#stoppedAt = performance.now();
    const seconds = Math.max(0.001, (this.#stoppedAt - this.#startedAt) / 1_000);
    return this.#groups.map((group) => {
      const state = this.#state.get(group.name);
      let cpu = 0;
      for (const [pid, last] of state?.last ?? []) cpu += last - (state?.first.get(pid) ?? last);
      return {
        name: group.name, pids: [...(state?.pids ?? [])], cpuSeconds: round(cpu), cores: round(cpu / seconds),
        peakRssMb: round((state?.peakRss ?? 0) / 1_048_576), lastRssMb: round((state?.lastRss ?? 0) / 1_048_576),
      };
    });
  }

  #sample(): void {
    for (const group of this.#groups) {
      const state = this.#state.get(group.name) ?? { first: new Map(), last: new Map(), peakRss: 0, lastRss: 0, pids: new Set() };
      let rss = 0;
      for (const pid of group.pids()) {
        const sample = sampleProcess(pid);
        if (!sample) continue;
        state.pids.add(pid);
        if (!state.first.has(pid)) state.first.set(pid, sample.cpuSeconds);
        state.last.set(pid, sample.cpuSeconds);
        rss += sample.rssBytes;
      }
      state.lastRss = rss;
      state.peakRss = Math.max(state.peakRss, rss);
      this.#state.set(group.name, state);
    }
  }
}

const round = (value: number): number => Math.round(value * 100) / 100;
