import { Option, type Command } from 'commander';
import type { SagaView } from '../platform/saga/saga-engine.ts';
import type { SagaSummary } from '../platform/saga/saga-listing.ts';
import { integerOption, printResult, UsageError, withJson } from './cli-conventions.ts';
import { withDatabase } from './database-cli.ts';
import { SERVICE_SCHEMAS } from './service-names.ts';

/** The statuses a saga can have (platform/saga/saga-tables.ts's SAGA_STATUSES; the surface test keeps them equal). */
export const SAGA_STATUS_CHOICES = ['RUNNING', 'COMPENSATING', 'COMPLETED', 'COMPENSATED', 'FAILED'] as const;

/** A saga id is `<type>-<order id>[-<key>]`: letters, digits and `_ . : -`. Anything else is a usage error (exit 2). */
const SAGA_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$/;

async function sagaView(sagaId: string): Promise<SagaView> {
  if (!SAGA_ID.test(sagaId)) throw new UsageError(`${JSON.stringify(sagaId)} is not a saga id (they look like checkout-ord_… or refund-ord_…; paysaga saga list shows them)`);
  return withDatabase(async (database, config) => {
    const { SagaEngine } = await import('../platform/saga/saga-engine.ts');
    const { namespacedSchema } = await import('../platform/messaging/open-transport.ts');
    const { checkoutSaga } = await import('../services/saga/sagas/checkout-saga.ts');
    const { cancellationRefundSaga, partialRefundSaga } = await import('../services/saga/sagas/refund-sagas.ts');
    // The definitions only name the steps in the view; their deadlines do not matter when reading.
    const engine = new SagaEngine([checkoutSaga({ paymentDeadlineMs: 1 }), cancellationRefundSaga({ refundDeadlineMs: 1 }), partialRefundSaga({ refundDeadlineMs: 1 })] as never[], { schema: namespacedSchema(config, SERVICE_SCHEMAS.saga) });
    const view = await engine.view(database.db, sagaId);
    if (!view) throw new Error(`no saga ${sagaId}`);
    return view;
  });
}

const renderView = (view: SagaView): string => [
  `${view.id}  ${view.type}  order ${view.orderId}  ${view.status}${view.step ? ` at ${view.step}` : ''}${view.stuck ? `  STUCK (${view.resends} resends)` : ''}${view.failureReason ? `  (${view.failureReason})` : ''}${view.deadlineAt ? `  deadline ${view.deadlineAt}` : ''}`,
  ...view.timeline.map((entry) => `  ${entry.at}  ${entry.step.padEnd(16)} ${entry.kind.padEnd(20)} ${entry.detail === null ? '' : JSON.stringify(entry.detail)}`),
].join('\n');

const renderList = (sagas: readonly SagaSummary[]): string => (sagas.length === 0 ? '(no sagas match)' : sagas.map((saga) =>
  `${saga.id}\t${saga.type}\t${saga.status}${saga.stuck ? ` STUCK(${saga.resends})` : ''}\tcreated ${saga.createdAt}${saga.failureReason ? `\t${saga.failureReason}` : ''}`).join('\n'));

interface ListOptions {
  status?: typeof SAGA_STATUS_CHOICES[number];
  type?: string;
  order?: string;
  stuck?: boolean;
  olderThan?: number;
  limit: number;
  json?: boolean;
}

/** `paysaga saga list|show` and the shorthand `paysaga saga <sagaId>`: read the orchestrator's tables (DATABASE_URL). */
export function registerSagaCommands(program: Command): void {
  const saga = withJson(program.command('saga')
    .description('list sagas, or show one saga\'s status and timeline (DATABASE_URL); paysaga saga <sagaId> is saga show')
    .argument('[sagaId]', 'a saga id, e.g. checkout-ord_…'))
    .action(async (sagaId: string | undefined, options: { json?: boolean }) => {
      if (sagaId === undefined) throw new UsageError('give a saga id (paysaga saga <sagaId>) or a subcommand: paysaga saga list | show <sagaId>');
      printResult(options, await sagaView(sagaId), renderView);
    });

  withJson(saga.command('show')
    .description('a saga\'s status, current step, deadline and timeline (the step log)')
    .argument('<sagaId>', 'a saga id, e.g. checkout-ord_…'))
    .action(async (sagaId: string, options: { json?: boolean }) => {
      printResult(options, await sagaView(sagaId), renderView);
    });

  withJson(saga.command('list')
    .description('sagas matching a filter, newest first')
    .addOption(new Option('--status <status>', 'only this status').choices(SAGA_STATUS_CHOICES))
    .addOption(new Option('--type <type>', 'only this saga type').choices(['checkout', 'cancellation-refund', 'partial-refund']))
    .option('--order <orderId>', 'only the sagas of this order')
    .option('--stuck', 'only running sagas whose current command had to be resent')
    .option('--older-than <seconds>', 'only sagas created at least this long ago', integerOption(0))
    .option('--limit <n>', 'at most this many', integerOption(1, 10_000), 50))
    .action(async (options: ListOptions) => {
      const sagas = await withDatabase(async (database, config) => {
        const { listSagas } = await import('../platform/saga/saga-listing.ts');
        const { namespacedSchema } = await import('../platform/messaging/open-transport.ts');
        return listSagas(database.db, namespacedSchema(config, SERVICE_SCHEMAS.saga), {
          limit: options.limit,
          ...(options.status ? { status: options.status } : {}), ...(options.type ? { type: options.type } : {}),
          ...(options.order ? { orderId: options.order } : {}), ...(options.stuck ? { stuck: true } : {}),
          ...(options.olderThan !== undefined ? { olderThanMs: options.olderThan * 1_000 } : {}),
        });
      });
      printResult(options, { sagas }, ({ sagas: rows }) => renderList(rows));
    });
}
