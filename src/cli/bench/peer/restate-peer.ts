import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ensureDatabase, type StartedTarget } from '../bench-targets.ts';
import { freePort } from '../../ports.ts';
import { startChild, waitUntilReady, type ChildProgram } from '../child-program.ts';

/** The restate-server binary the npm package ships for this platform, or why there is none. */
function restateServerBinary(): string {
  const require = createRequire(import.meta.url);
  const arch = process.arch === 'x64' ? 'x64' : process.arch === 'arm64' ? 'arm64' : process.arch;
  const name = `@restatedev/restate-server-${process.platform}-${arch}`;
  let packageJson: string;
  try {
    packageJson = require.resolve(`${name}/package.json`);
  } catch (error) {
    throw new Error(`the Restate server is not installed (${name}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}); npm ci installs it as a devDependency`);
  }
  const binary = join(dirname(packageJson), 'bin', 'restate-server');
  if (!existsSync(binary)) throw new Error(`${name} has no bin/restate-server`);
  return binary;
}

/**
 * Starts the Restate peer: restate-server on loopback ports of its own (a
 * scratch data directory, 4 partitions), the peer's service endpoint and HTTP
 * API (restate-peer-server.ts), and registers the endpoint with the server.
 * Every process is measured; everything is stopped and removed at stop.
 */
export async function startRestatePeer(options: { databaseUrl: string }): Promise<StartedTarget> {
  const binary = restateServerBinary();
  const databaseUrl = await ensureDatabase(options.databaseUrl, 'paysaga_bench_compare');
  const dataDir = await mkdtemp(join(tmpdir(), 'paysaga-bench-restate-'));
  const [ingressPort, adminPort, nodePort, endpointPort, port] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
  const children: ChildProgram[] = [];
  const stopAll = async (): Promise<void> => {
    for (const child of children.reverse()) await child.stop();
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    const server = startChild('restate-server', binary, ['--no-logo', '--base-dir', dataDir, '--listen-mode', 'tcp'], {
      RESTATE_INGRESS__BIND_ADDRESS: `127.0.0.1:${ingressPort}`, RESTATE_ADMIN__BIND_ADDRESS: `127.0.0.1:${adminPort}`,
      RESTATE_BIND_ADDRESS: `127.0.0.1:${nodePort}`, RESTATE_ADVERTISED_ADDRESS: `http://127.0.0.1:${nodePort}`,
      RESTATE_DEFAULT_NUM_PARTITIONS: '4', RESTATE_DISABLE_TELEMETRY: 'true', RESTATE_LOG_FILTER: 'warn',
    });
    children.push(server);
    await waitUntilReady(`http://127.0.0.1:${adminPort}/health`, server, 120_000);
    await waitUntilReady(`http://127.0.0.1:${ingressPort}/restate/health`, server, 120_000);
    const peer = startChild('restate peer', process.execPath, [join(import.meta.dirname, 'restate-peer-server.ts'), '--port', String(port), '--endpoint-port', String(endpointPort),
      '--ingress', `http://127.0.0.1:${ingressPort}`, '--database-url', databaseUrl], {});
    children.push(peer);
    const url = `http://127.0.0.1:${port}`;
    await waitUntilReady(`${url}/health/ready`, peer, 120_000);
    const registered = await fetch(`http://127.0.0.1:${adminPort}/deployments`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ uri: `http://127.0.0.1:${endpointPort}`, force: true }),
    });
    if (!registered.ok) throw new Error(`registering the peer with Restate failed: ${registered.status} ${await registered.text()}`);
    return {
      system: 'restate', short: 'restate-server', shape: `restate-server ${binary.includes('linux-x64') ? '(linux-x64)' : ''} + one Node endpoint`, url,
      authSecret: 'restate-peer-checks-no-token-0123456789', pids: () => [server.pid, peer.pid], databaseUrl, topics: null, metricsUrls: [], stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
