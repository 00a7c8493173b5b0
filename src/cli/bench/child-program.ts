import { spawn, type ChildProcess } from 'node:child_process';
import { childEnvironment } from '../../platform/config.ts';
import { sleep } from '../../platform/utils/sleep.ts';

/** A process the bench started: its pid (measured), the tail of its output (for errors) and a bounded stop. */
export interface ChildProgram {
  label: string;
  pid: number;
  output(): string;
  exited(): boolean;
  stop(): Promise<void>;
}

/** Keeps the last `maxChars` of a child's stdout and stderr (for the error when it fails); returns a reader of it. */
export function outputTail(child: ChildProcess, maxChars: number): () => string {
  let tail = '';
  const keep = (chunk: Buffer): void => { tail = (tail + chunk.toString()).slice(-maxChars); };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => tail;
}

/** Starts `command args` with the environment `changes` (null removes a variable); output is kept, not shown. */
export function startChild(label: string, command: string, args: readonly string[], changes: Readonly<Record<string, string | null>>): ChildProgram {
  const child: ChildProcess = spawn(command, args, { env: childEnvironment(changes), stdio: ['ignore', 'pipe', 'pipe'] });
  const tail = outputTail(child, 8_000);
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => { exited = true; resolve(); }));
  if (child.pid === undefined) throw new Error(`${label}: could not start ${command}`);
  return {
    label, pid: child.pid, output: tail, exited: () => exited,
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      const ended = await Promise.race([exit.then(() => true), sleep(20_000).then(() => false)]);
      if (!ended) {
        child.kill('SIGKILL');
        await exit;
      }
    },
  };
}

/** Polls `url` until it answers 200, the child exits, or `timeoutMs` passes. */
export async function waitUntilReady(url: string, child: ChildProgram | null, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (child?.exited()) throw new Error(`${child.label} exited while starting:\n${child.output()}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(5_000) });
      await response.arrayBuffer();
      if (response.status === 200) return;
      last = `status ${response.status}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await sleep(300);
  }
  throw new Error(`${url} not ready within ${timeoutMs} ms (${last})${child ? `\n${child.output()}` : ''}`);
}
