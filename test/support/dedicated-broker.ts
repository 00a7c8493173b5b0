import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A Kafka broker of a test's own (its own port and data directory), for tests
 * that stop and restart the broker without disturbing the shared one.
 */
export class DedicatedBroker {
  readonly port: number;
  readonly #env: NodeJS.ProcessEnv;
  readonly #script: string;

  constructor(port: number) {
    this.port = port;
    this.#script = process.env.KAFKA_SCRIPT ?? join(import.meta.dirname, '..', '..', 'scripts', 'kafka.sh');
    this.#env = { ...process.env, KAFKA_PORT: String(port), KAFKA_DATA_DIR: mkdtempSync(join(tmpdir(), 'paysaga-broker-')) };
  }

  get brokers(): string[] {
    return [`127.0.0.1:${this.port}`];
  }

  #run(...args: string[]): void {
    const result = spawnSync('bash', [this.#script, ...args], { env: this.#env, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`kafka.sh ${args.join(' ')} failed: ${result.stderr}`);
  }

  start(): void { this.#run('start'); }
  stopNode(): void { this.#run('stop-node', '1'); }
  startNode(): void { this.#run('start-node', '1'); }
  stop(): void { this.#run('stop'); }
}
