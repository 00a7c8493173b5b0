import type { Command } from 'commander';
import { loadConfig } from '../platform/config.ts';
import { DeadLetterStore } from '../platform/dead-letters/dead-letter-store.ts';
import { openDatabase, type Database } from '../platform/database/database.ts';
import type { DeadLetterStatus } from '../platform/database/platform-tables.ts';
import { namespacedSchema } from '../platform/messaging/open-transport.ts';
import { SagaEngine } from '../platform/saga/saga-engine.ts';
import { cancellationRefundSaga, partialRefundSaga } from '../services/saga/sagas/refund-sagas.ts';
import { checkoutSaga } from '../services/saga/sagas/checkout-saga.ts';
import { isServiceName, SERVICE_NAMES, SERVICE_SCHEMAS, type ServiceName } from './compose.ts';

async function withDatabase<T>(work: (database: Database) => Promise<T>): Promise<T> {
  const config = loadConfig();
  if (config.databaseUrl.startsWith('pglite://memory')) throw new Error('set DATABASE_URL: the embedded database lives inside its own process (use the HTTP API there)');
  const database = await openDatabase({ url: config.databaseUrl, maxConnections: config.databaseMaxConnections });
  try {
    return await work(database);
  } finally {
    await database.close();
  }
}

function serviceArg(name: string): ServiceName {
  if (!isServiceName(name)) throw new Error(`unknown service ${name}: choose from ${SERVICE_NAMES.join(', ')}`);
  return name;
}

const storeOf = (database: Database, service: ServiceName): DeadLetterStore =>
  new DeadLetterStore(database.db, namespacedSchema(loadConfig(), SERVICE_SCHEMAS[service]));

/** `paysaga dead-letters …` and `paysaga saga <id>`: operate on DATABASE_URL directly (PAYSAGA_NAMESPACE respected). */
export function registerInspectCommands(program: Command): void {
  const deadLetters = program.command('dead-letters').description('list, replay, resolve or discard dead letters (DATABASE_URL)');
  deadLetters.command('list')
    .option('--service <name>', SERVICE_NAMES.join(' | '))
    .option('--status <status>', 'pending | replayed | resolved | discarded', 'pending')
    .action(async (options: { service?: string; status: string }) => {
      await withDatabase(async (database) => {
        for (const service of options.service ? [serviceArg(options.service)] : SERVICE_NAMES) {
          const store = storeOf(database, service);
          const letters = await store.list({ status: options.status as DeadLetterStatus }).catch((error: unknown) => {
            console.error(`${service}: dead letters unreadable: ${error instanceof Error ? error.message : String(error)}`);
            return [];
          });
          for (const letter of letters) console.log(`${service}\t${letter.id}\t${letter.topic}[${letter.partition}]@${letter.offset}\t${letter.reason}\t${letter.eventType ?? '-'}\t${letter.error.slice(0, 120)}`);
        }
      });
    });
  for (const action of ['replay', 'resolve', 'discard'] as const) {
    deadLetters.command(action).argument('<service>').argument('<id>').option('--note <text>', 'why (resolve, discard)')
      .action(async (service: string, id: string, options: { note?: string }) => {
        await withDatabase(async (database) => {
          const store = storeOf(database, serviceArg(service));
          if (action === 'replay') await store.replay(id);
          else if (action === 'resolve') await store.resolve(id, options.note ?? null);
          else await store.discard(id, options.note ?? null);
          console.log(`${service} dead letter ${id}: ${(await store.get(id)).status}`);
        });
      });
  }

  program.command('saga').argument('<sagaId>').description('a saga\'s status and timeline (DATABASE_URL)')
    .action(async (sagaId: string) => {
      await withDatabase(async (database) => {
        const engine = new SagaEngine([checkoutSaga({ paymentDeadlineMs: 1 }), cancellationRefundSaga({ refundDeadlineMs: 1 }), partialRefundSaga({ refundDeadlineMs: 1 })] as never[], { schema: namespacedSchema(loadConfig(), SERVICE_SCHEMAS.saga) });
        const view = await engine.view(database.db, sagaId);
        if (!view) throw new Error(`no saga ${sagaId}`);
        console.log(`${view.id}  ${view.type}  order ${view.orderId}  ${view.status}${view.step ? ` at ${view.step}` : ''}${view.stuck ? `  STUCK (${view.resends} resends)` : ''}${view.failureReason ? `  (${view.failureReason})` : ''}`);
        for (const entry of view.timeline) console.log(`  ${entry.at}  ${entry.step.padEnd(16)} ${entry.kind.padEnd(20)} ${entry.detail === null ? '' : JSON.stringify(entry.detail)}`);
      });
    });
}
