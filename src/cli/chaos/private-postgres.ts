import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A PostgreSQL cluster of the fault suite's own (initdb + pg_ctl in a temp dir, trust auth, loopback): it may be restarted, the shared one never is. */
export interface PrivatePostgres {
  url: string;
  port: number;
  /** pg_ctl restart -m immediate: the server dies without a checkpoint and recovers from its WAL. */
  restart(): Promise<void>;
  destroy(): Promise<void>;
}

function postgresBin(): string {
  const versions = readdirSync('/usr/lib/postgresql').filter((name) => /^\d+$/.test(name)).sort((a, b) => Number(b) - Number(a));
  const newest = versions[0];
  if (newest === undefined) throw new Error('no PostgreSQL server binaries under /usr/lib/postgresql/*/bin (install the postgresql package)');
  return `/usr/lib/postgresql/${newest}/bin`;
}

/** PostgreSQL refuses to run as root: as root, its tools run as the postgres user (runuser), which owns the data dir. */
async function ownerOf(): Promise<{ uid: number; gid: number } | null> {
  if (process.getuid?.() !== 0) return null;
  const { stdout: uid } = await run('id', ['-u', 'postgres']);
  const { stdout: gid } = await run('id', ['-g', 'postgres']);
  return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
}

export async function startPrivatePostgres(port: number): Promise<PrivatePostgres> {
  const bin = postgresBin();
  const owner = await ownerOf();
  const dir = await mkdtemp(join(tmpdir(), 'paysaga-chaos-pg-'));
  if (owner) await chown(dir, owner.uid, owner.gid);
  const data = join(dir, 'data');
  const tool = (command: string, args: string[]): Promise<unknown> => (owner
    ? run('runuser', ['-u', 'postgres', '--', join(bin, command), ...args], { timeout: 120_000 })
    : run(join(bin, command), args, { timeout: 120_000 }));
  await tool('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300`;
  const pgCtl = (...args: string[]): Promise<unknown> => tool('pg_ctl', ['-D', data, '-w', '-t', '120', ...args]);
  await pgCtl('-o', options, '-l', join(dir, 'server.log'), 'start');
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    restart: async () => { await pgCtl('-m', 'immediate', '-o', options, '-l', join(dir, 'server.log'), 'restart'); },
    destroy: async () => {
      await pgCtl('-m', 'fast', 'stop').catch((error: unknown) => { console.error(`chaos: stopping the private PostgreSQL failed (it may be down already): ${String(error)}`); });
      await rm(dir, { recursive: true, force: true });
    },
  };
}
