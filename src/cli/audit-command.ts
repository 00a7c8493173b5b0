import type { Command } from 'commander';
import type { AuditOptions } from './audit/audit-action.ts';

/**
 * `paysaga audit`: checks the whole system's books (DATABASE_URL, PAYSAGA_NAMESPACE
 * respected, and the gateway's records) against the invariants of
 * src/cli/audit/audit-books.ts; exit code 1 on any violation.
 */
export function registerAuditCommand(program: Command): void {
  program.command('audit')
    .description('check every service\'s books and the gateway\'s records: money, stock, notices, outbox, inbox, dead letters (exit 1 on any violation)')
    .option('--json', 'print the report as JSON')
    .option('--gateway-url <url>', 'the gateway simulator (or a Stripe-compatible API) to read; default STRIPE_API_BASE')
    .option('--no-gateway', 'audit the services\' books alone (the gateway cross-checks are skipped)')
    .action(async (options: AuditOptions) => {
      const { runAuditCommand } = await import('./audit/audit-action.ts');
      await runAuditCommand(options);
    });
}
