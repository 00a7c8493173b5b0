import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { eventually } from '../support/env.ts';
export { freePort } from '../support/ports.ts';

const root = join(import.meta.dirname, '..', '..');

/** One `paysaga serve <service>` process: started, stopped, killed and restarted by the test, on a fixed port. */
export class ServiceProcess {
  readonly name: string;
  readonly port: number;
  readonly #env: NodeJS.ProcessEnv;
  #child: ChildProcess | null = null;
  output = '';

  constructor(name: string, port: number, env: NodeJS.ProcessEnv) {
    this.name = name;
    this.port = port;
    this.#env = env;
  }

  get url(): string { return `http://127.0.0.1:${this.port}`; }

  async start(): Promise<void> {
    const child = spawn(join(root, 'node_modules', '.bin', 'node'), [join(root, 'src', 'cli', 'main.ts'), 'serve', this.name], {
      cwd: root, env: { ...process.env, ...this.#env, PORT: String(this.port) }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk: Buffer) => { this.output += chunk.toString(); });
    child.stderr?.on('data', (chunk: Buffer) => { this.output += chunk.toString(); });
    this.#child = child;
    await eventually(`${this.name} ready`, async () => {
      if (child.exitCode !== null) throw new Error(`${this.name} exited ${child.exitCode}: ${this.output.slice(-2_000)}`);
      const response = await fetch(`${this.url}/health/ready`).catch(() => null);
      return response?.status === 200;
    }, 60_000);
  }

  /** SIGTERM: a graceful stop (in-flight work finishes, offsets commit, the outbox flushes). */
  async stop(): Promise<void> {
    await this.#signal('SIGTERM');
  }

  /** SIGKILL: the process dies mid-work; nothing is flushed. */
  async kill(): Promise<void> {
    await this.#signal('SIGKILL');
  }

  async #signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
    this.#child = null;
  }
}
