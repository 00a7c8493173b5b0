import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Debian's prometheus package puts it here (.ci/run installs it); a missing promtool fails the test, never skips it. */
const PROMTOOL = process.env.PROMTOOL ?? '/usr/bin/promtool';

/** Runs `promtool <args>` with `input` on stdin; resolves with its exit code and output. */
export function promtool(args: readonly string[], input = ''): Promise<{ code: number | null; output: string }> {
  if (!existsSync(PROMTOOL)) throw new Error(`promtool not found at ${PROMTOOL}: install Debian's prometheus package (apt-get install prometheus), as .ci/run does`);
  return new Promise((resolve, reject) => {
    const child = spawn(PROMTOOL, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.once('error', reject);
    child.once('exit', (code) => { resolve({ code, output }); });
    child.stdin.end(input);
  });
}

/** Fails unless `promtool check metrics` accepts the exposition (lint included). */
export async function assertValidExposition(text: string, where: string): Promise<void> {
  const { code, output } = await promtool(['check', 'metrics'], text);
  if (code !== 0) throw new Error(`promtool check metrics rejected /metrics of ${where} (exit ${code}):\n${output}`);
}

/** The value of one sample in a Prometheus exposition (labels in any order), or undefined when absent. */
export function sampleValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = new Map([...(match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((pair): [string, string] => [pair[1] ?? '', pair[2] ?? '']));
    if (Object.entries(labels).every(([key, value]) => found.get(key) === value)) return Number(match[3]);
  }
  return undefined;
}
