import { Option, type Command } from 'commander';
import type { DeadLetterFilter, DeadLetterStore } from '../platform/dead-letters/dead-letter-store.ts';
import type { Database } from '../platform/database/database.ts';
import type { PlatformConfig } from '../platform/config.ts';
import { integerOption, note, printResult, progressBar, UsageError, withJson } from './cli-conventions.ts';
import { isMissingTable, withDatabase } from './database-cli.ts';
import { isServiceName, SERVICE_NAMES, SERVICE_SCHEMAS, type ServiceName } from './service-names.ts';

export const DEAD_LETTER_STATUSES = ['pending', 'replayed', 'resolved', 'discarded'] as const;
const ACTIONS = ['replay', 'resolve', 'discard'] as const;
type Action = typeof ACTIONS[number];
const DONE: Record<Action, string> = { replay: 'replayed', resolve: 'resolved', discard: 'discarded' };

async function storeOf(database: Database, config: PlatformConfig, service: ServiceName): Promise<DeadLetterStore> {
  const { DeadLetterStore } = await import('../platform/dead-letters/dead-letter-store.ts');
  const { namespacedSchema } = await import('../platform/messaging/open-transport.ts');
  return new DeadLetterStore(database.db, namespacedSchema(config, SERVICE_SCHEMAS[service]));
}

/** Every service's store, or one; a service that never ran against this database (no table) is skipped with a note. */
async function eachStore<T>(database: Database, config: PlatformConfig, service: ServiceName | undefined, work: (service: ServiceName, store: DeadLetterStore) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (const name of service ? [service] : SERVICE_NAMES) {
    try {
      results.push(await work(name, await storeOf(database, config, name)));
    } catch (error) {
      if (!isMissingTable(error) || service) throw error;
      note(`${name}: no dead-letter table in this database and namespace (the service never ran here); skipped`);
    }
  }
  if (results.length === 0) throw new Error(`no paysaga service has run against this database in namespace ${config.namespace ?? '(none)'}: no dead-letter tables`);
  return results;
}

function checkId(id: string): string {
  if (!/^\d{1,19}$/.test(id)) throw new UsageError(`${JSON.stringify(id)} is not a dead-letter id (a number; paysaga dead-letters list shows them)`);
  return id;
}

function checkService(name: string): ServiceName {
  if (!isServiceName(name)) throw new UsageError(`unknown service ${name}: choose from ${SERVICE_NAMES.join(', ')}`);
  return name;
}

const apply = (store: DeadLetterStore, action: Action, id: string, note_: string | null): Promise<void> =>
  action === 'replay' ? store.replay(id) : action === 'resolve' ? store.resolve(id, note_) : store.discard(id, note_);

interface ListOptions {
  service?: ServiceName;
  status: typeof DEAD_LETTER_STATUSES[number];
  topic?: string;
  reason?: string;
  limit: number;
  json?: boolean;
}

interface ActOptions {
  all?: boolean;
  service?: ServiceName;
  topic?: string;
  reason?: string;
  note?: string;
  json?: boolean;
}

interface BulkOutcome {
  action: Action;
  filter: { service: string | null; topic: string | null; reason: string | null };
  matched: number;
  done: number;
  failed: { service: ServiceName; id: string; error: string }[];
}

/** Applies `action` to every pending dead letter matching the filter, in batches, with a progress bar on stderr. */
async function actOnAll(action: Action, options: ActOptions): Promise<BulkOutcome> {
  const filter: DeadLetterFilter = { status: 'pending', ...(options.topic ? { topic: options.topic } : {}), ...(options.reason ? { reason: options.reason } : {}) };
  return withDatabase(async (database, config) => {
    const counts = await eachStore(database, config, options.service, async (service, store) => ({ service, store, count: await store.count(filter) }));
    const matched = counts.reduce((sum, entry) => sum + entry.count, 0);
    const bar = progressBar(`${action} ${matched} dead letters`, matched);
    const outcome: BulkOutcome = {
      action, filter: { service: options.service ?? null, topic: options.topic ?? null, reason: options.reason ?? null }, matched, done: 0, failed: [],
    };
    for (const { service, store, count } of counts) {
      if (count === 0) continue;
      // The letters matching now, oldest first: a replayed record that fails again is a new dead letter, left for next time.
      const letters = (await store.list({ ...filter, limit: count })).reverse();
      for (const letter of letters) {
        try {
          await apply(store, action, letter.id, options.note ?? null);
          outcome.done += 1;
          bar.tick();
        } catch (error) {
          const { DeadLetterStateError, DeadLetterNotFoundError } = await import('../platform/dead-letters/dead-letter-store.ts');
          // Changed by someone else meanwhile (the dashboard, another operator): reported, the rest goes on.
          if (!(error instanceof DeadLetterStateError || error instanceof DeadLetterNotFoundError)) throw error;
          outcome.failed.push({ service, id: letter.id, error: error.message });
          bar.tick(true);
        }
      }
    }
    bar.done();
    return outcome;
  });
}

/** `paysaga dead-letters list|show|replay|resolve|discard` on DATABASE_URL (PAYSAGA_NAMESPACE respected). */
export function registerDeadLetterCommands(program: Command): void {
  const deadLetters = program.command('dead-letters').description('list, show, replay, resolve or discard dead letters, one or all matching a filter (DATABASE_URL)');
  const serviceOption = (description: string) => new Option('--service <name>', description).choices(SERVICE_NAMES);

  withJson(deadLetters.command('list')
    .description('dead letters, newest first: service, id, topic[partition]@offset, reason, event type, error')
    .addOption(serviceOption('only this service\'s dead letters'))
    .addOption(new Option('--status <status>', 'only this status').choices(DEAD_LETTER_STATUSES).default('pending'))
    .option('--topic <topic>', 'only dead letters of this topic (e.g. payment.requested)')
    .option('--reason <reason>', 'only this reason (handler-failed, malformed, unknown-version, …)')
    .option('--limit <n>', 'at most this many per service', integerOption(1, 100_000), 100))
    .action(async (options: ListOptions) => {
      const filter: DeadLetterFilter & { limit: number } = {
        status: options.status, limit: options.limit, ...(options.topic ? { topic: options.topic } : {}), ...(options.reason ? { reason: options.reason } : {}),
      };
      const lists = await withDatabase((database, config) => eachStore(database, config, options.service, async (service, store) =>
        (await store.list(filter)).map((letter) => ({ service, ...letter }))));
      const letters = lists.flat();
      printResult(options, { deadLetters: letters }, ({ deadLetters: rows }) => (rows.length === 0 ? `(no ${options.status} dead letters)` : rows.map((letter) =>
        `${letter.service}\t${letter.id}\t${letter.topic}[${letter.partition}]@${letter.offset}\t${letter.reason}\t${letter.eventType ?? '-'}\t${letter.error.slice(0, 120)}`).join('\n')));
    });

  withJson(deadLetters.command('show')
    .description('one dead letter in full: headers, value, error and stack')
    .argument('<service>', SERVICE_NAMES.join(' | '))
    .argument('<id>', 'the dead letter\'s id (a number)'))
    .action(async (service: string, id: string, options: { json?: boolean }) => {
      const name = checkService(service);
      checkId(id);
      const letter = await withDatabase(async (database, config) => (await storeOf(database, config, name)).get(id));
      printResult(options, { service: name, ...letter }, (row) => [
        `${row.service} dead letter ${row.id}: ${row.status}${row.note ? ` (${row.note})` : ''}`,
        `  ${row.topic}[${row.partition}]@${row.offset} key=${row.key} group=${row.consumerGroup} attempts=${row.attempts}`,
        `  event ${row.eventType ?? '-'} ${row.eventId ?? ''}  reason ${row.reason}  at ${row.createdAt}`,
        `  error: ${row.error}`, ...(row.stack ? [`  stack: ${row.stack}`] : []),
        `  headers: ${JSON.stringify(row.headers)}`, `  value: ${row.value}`,
      ].join('\n'));
    });

  for (const action of ACTIONS) {
    withJson(deadLetters.command(action)
      .description(`${action === 'replay' ? 'put a pending dead letter back on its original topic (same event id)' : action === 'resolve' ? 'mark a pending dead letter handled by hand' : 'drop a pending dead letter'}: one by <service> <id>, or --all matching --service/--topic/--reason`)
      .argument('[service]', SERVICE_NAMES.join(' | '))
      .argument('[id]', 'the dead letter\'s id (a number)')
      .option('--all', 'every pending dead letter matching the filters (progress on stderr)')
      .addOption(serviceOption('with --all: only this service'))
      .option('--topic <topic>', 'with --all: only this topic')
      .option('--reason <reason>', 'with --all: only this reason')
      .option('--note <text>', action === 'replay' ? 'ignored for replay' : 'why (kept with the dead letter)'))
      .action(async (service: string | undefined, id: string | undefined, options: ActOptions) => {
        if (options.all) {
          if (service !== undefined) throw new UsageError(`--all takes filters (--service, --topic, --reason), not a service and id`);
          const outcome = await actOnAll(action, options);
          printResult(options, outcome, (result) => [
            `${DONE[action]} ${result.done} of ${result.matched} pending dead letters`,
            ...result.failed.map((failure) => `  ${failure.service} ${failure.id}: ${failure.error}`),
          ].join('\n'));
          if (outcome.failed.length > 0) throw new Error(`${outcome.failed.length} dead letters could not be ${DONE[action]}`);
          return;
        }
        if (options.topic || options.reason || options.service) throw new UsageError('--service, --topic and --reason filter --all; for one dead letter give <service> <id>');
        if (service === undefined || id === undefined) throw new UsageError(`give <service> <id>, or --all with filters (paysaga dead-letters ${action} --help)`);
        const name = checkService(service);
        checkId(id);
        const letter = await withDatabase(async (database, config) => {
          const store = await storeOf(database, config, name);
          await apply(store, action, id, options.note ?? null);
          return store.get(id);
        });
        printResult(options, { service: name, id, status: letter.status }, (row) => `${row.service} dead letter ${row.id}: ${row.status}`);
      });
  }
}
