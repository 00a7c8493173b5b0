import { spawn, type ChildProcess } from 'node:child_process';
import { issueToken } from '../../../src/platform/http/auth.ts';
import { eventually, kafkaBrokers, postgresUrl, testSecrets, uniqueName } from '../../support/env.ts';
import { freePort } from '../../support/ports.ts';
import { MAIN, NODE, ROOT } from './run-cli.ts';

export interface Deployment {
  url: string;
  namespace: string;
  /** What a CLI command against this deployment needs (KAFKA_BROKERS, DATABASE_URL, PAYSAGA_NAMESPACE, AUTH_SECRET). */
  env: Record<string, string>;
  token(role: 'customer' | 'admin', subject: string): Promise<string>;
  output(): string;
  /** SIGTERM, and the exit code (0 when it stopped gracefully). */
  stop(): Promise<number | null>;
}

/** `paysaga serve all` on the shared Kafka and PostgreSQL in a namespace of its own (topics, groups and schemas apart). */
export async function startDeployment(label: string): Promise<Deployment> {
  const namespace = uniqueName(label);
  const port = await freePort();
  const env: Record<string, string> = {
    KAFKA_BROKERS: kafkaBrokers().join(','), DATABASE_URL: postgresUrl(), PAYSAGA_NAMESPACE: namespace, ...testSecrets(),
  };
  const child: ChildProcess = spawn(NODE, [MAIN, 'serve', 'all'], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env, PORT: String(port), NOTIFICATION_LOG_FILE: '/dev/null', DATABASE_MAX_CONNECTIONS: '4', LOG_LEVEL: 'warn' },
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  let gone = false;
  void exited.then(() => { gone = true; });
  await eventually('paysaga serve all to be up', () => {
    if (gone) throw new Error(`serve all exited:\n${output.slice(-3_000)}`);
    return output.includes('paysaga is up');
  }, 180_000);
  return {
    url: `http://127.0.0.1:${port}`, namespace, env,
    token: (role, subject) => issueToken(env.AUTH_SECRET ?? '', { role, subject }),
    output: () => output,
    stop: async () => {
      if (!gone) child.kill('SIGTERM');
      return exited;
    },
  };
}
