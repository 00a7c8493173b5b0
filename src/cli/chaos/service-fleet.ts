import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { childEnvironment } from '../../platform/config.ts';
import { sleep } from '../../platform/utils/sleep.ts';
import { outputTail } from '../bench/child-program.ts';
import type { ServiceName } from '../compose.ts';

const MAIN = join(import.meta.dirname, '..', 'main.ts');

/** One `paysaga serve <service>` process the fault suite starts, kills (-9) and starts again on the same port. */
export class ServiceInstance {
  readonly service: ServiceName;
  readonly port: number;
  readonly label: string;
  readonly #env: Record<string, string | null>;
  readonly #log: WriteStream;
  #child: ChildProcess | null = null;

  constructor(service: ServiceName, port: number, label: string, env: Record<string, string | null>, logDir: string) {
    this.service = service;
    this.port = port;
    this.label = label;
    this.#env = { ...env, PORT: String(port) };
    this.#log = createWriteStream(join(logDir, `${label}.log`), { flags: 'a' });
  }

  get url(): string { return `http://127.0.0.1:${this.port}`; }

  get running(): boolean { return this.#child !== null; }

  /** Starts the process and waits (at most timeoutMs) until it reports ready. */
  async start(timeoutMs = 120_000): Promise<void> {
    const child = spawn(process.execPath, [MAIN, 'serve', this.service], { env: childEnvironment(this.#env), stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    child.stdout?.pipe(this.#log, { end: false });
    child.stderr?.pipe(this.#log, { end: false });
    const tail = outputTail(child, 4_000);
    child.once('exit', (code, signal) => {
      this.#log.write(`\n[chaos] ${this.label} exited with ${signal ?? code}\n`);
      if (this.#child === child) this.#child = null;
    });
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.#child !== child) throw new Error(`${this.label} exited while starting; the end of its output:\n${tail().trimEnd()}`);
      const ready = await fetch(`${this.url}/health/ready`, { signal: AbortSignal.timeout(2_000) }).then((response) => response.status === 200, () => false); // not logged: a process still starting does not answer; the loop asks again until its deadline
      if (ready) return;
      await sleep(250);
    }
    throw new Error(`${this.label} was not ready within ${timeoutMs} ms (see its log)`);
  }

  /** SIGKILL: dies mid-work, nothing flushed. */
  kill(): Promise<void> { return this.#signal('SIGKILL'); }

  /** SIGTERM: a graceful stop (a consumer leaving its group cleanly). */
  stop(): Promise<void> { return this.#signal('SIGTERM'); }

  async #signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }

  close(): void { this.#log.end(); }
}
