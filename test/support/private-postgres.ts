import { execFile } from 'node:child_process';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './ports.ts';

const run = promisify(execFile);
const BIN = '/usr/lib/postgresql/15/bin';
/** The user PostgreSQL runs as (it refuses root); tests run as root, so they switch with runuser. */
const OWNER = { name: 'postgres', uid: 101, gid: 104 };

/**
 * A PostgreSQL 15 of the test's own on a free loopback port (trust auth, a temp
 * data dir), so a test can stop and start it — the shared one at 5432 is never touched.
 */
export interface PrivatePostgres {
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server (if running) and deletes its data dir. */
  destroy(): Promise<void>;
}

const asOwner = (command: string, args: string[]): Promise<unknown> =>
  run('runuser', ['-u', OWNER.name, '--', join(BIN, command), ...args], { timeout: 120_000 });

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const dir = await mkdtemp(join(tmpdir(), 'paysaga-pg-'));
  await chown(dir, OWNER.uid, OWNER.gid);
  const data = join(dir, 'data');
  const port = await freePort();
  await asOwner('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
  const start = async (): Promise<void> => { await asOwner('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'server.log'), '-w', '-t', '90', 'start']); };
  const stop = async (): Promise<void> => { await asOwner('pg_ctl', ['-D', data, '-m', 'fast', '-w', '-t', '90', 'stop']); };
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start,
    stop,
    async destroy() {
      await stop().catch((error: unknown) => { console.warn(`private PostgreSQL stop (it may already be down): ${String(error)}`); });
      await rm(dir, { recursive: true, force: true });
    },
  };
}
