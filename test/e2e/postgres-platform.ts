import { sql, type Kysely } from 'kysely';
import { SERVICE_NAMES, SERVICE_SCHEMAS, type ServiceName } from '../../src/cli/compose.ts';
import { startPlatform, type StartedPlatform } from '../../src/cli/start.ts';
import { loadConfig } from '../../src/platform/config.ts';
import { openDatabase, type Database } from '../../src/platform/database/database.ts';
import { issueToken, type Role } from '../../src/platform/http/auth.ts';
import { namespacedSchema } from '../../src/platform/messaging/open-transport.ts';
import { postgresUrl, testSecrets, uniqueName } from '../support/env.ts';
import { requestJson, type HttpAnswer } from '../support/service-calls.ts';

/**
 * Every service in one process (in-process transport, the gateway simulator)
 * on the shared PostgreSQL in a namespace of its own, so a test can look at
 * (and, to play a crash, change) what the services wrote.
 */
export interface PostgresPlatform {
  started: StartedPlatform;
  db: Kysely<unknown>;
  /** The namespaced schema of a service (or 'platform'). */
  schema(name: ServiceName | 'platform'): string;
  token(role: Role, subject: string): Promise<string>;
  call(method: 'GET' | 'POST', path: string, as: { role: Role; subject: string }, body?: unknown, headers?: Record<string, string>): Promise<HttpAnswer>;
  close(): Promise<void>;
}

export async function startPostgresPlatform(env: NodeJS.ProcessEnv = {}): Promise<PostgresPlatform> {
  const namespace = uniqueName('tb');
  const platformEnv = { DATABASE_URL: postgresUrl(), PAYSAGA_NAMESPACE: namespace, NOTIFICATION_LOG_FILE: '/dev/null', ...testSecrets(), ...env };
  const config = { ...loadConfig(platformEnv), kafkaBrokers: [], httpPort: 0 };
  const started = await startPlatform(config, { services: SERVICE_NAMES, installSignals: false });
  const database: Database = await openDatabase({ url: postgresUrl() });
  const schema = (name: ServiceName | 'platform'): string => namespacedSchema(config, name === 'platform' ? 'platform' : SERVICE_SCHEMAS[name]);
  const token = (role: Role, subject: string): Promise<string> => issueToken(started.authSecret, { role, subject });
  return {
    started, db: database.db, schema, token,
    call: async (method, path, as, body, headers = {}) => requestJson(started.url, method, path, { token: await token(as.role, as.subject), body, headers }),
    async close() {
      await started.stop();
      for (const name of [...SERVICE_NAMES, 'platform' as const]) await sql`drop schema if exists ${sql.id(schema(name))} cascade`.execute(database.db);
      await database.close();
    },
  };
}
