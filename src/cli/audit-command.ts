import type { Command } from 'commander';
import { loadConfig } from '../platform/config.ts';
import { openDatabase } from '../platform/database/database.ts';
import { auditBooks, auditSchemas, stripeGatewayRecords, type GatewayRecords } from './audit/audit-books.ts';
import { formatReport } from './audit/format-report.ts';

interface AuditOptions {
  json?: boolean;
  gateway: boolean;
  gatewayUrl?: string;
}

/** The gateway to read: --gateway-url, else STRIPE_API_BASE (the simulator), else Stripe itself with STRIPE_API_KEY. */
function gatewayOf(options: AuditOptions): GatewayRecords | null {
  if (!options.gateway) return null;
  const config = loadConfig();
  const apiBase = options.gatewayUrl ?? config.payment.stripeApiBase;
  const apiKey = config.secrets.stripeApiKey ?? (apiBase ? 'sk_test_paysaga_audit' : null);
  if (apiKey === null) throw new Error('the gateway to audit is unknown: set STRIPE_API_BASE (the simulator) or STRIPE_API_KEY (Stripe), pass --gateway-url, or --no-gateway');
  return stripeGatewayRecords({ apiKey, apiBase });
}

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
      const config = loadConfig();
      if (config.databaseUrl.startsWith('pglite://memory')) throw new Error('set DATABASE_URL: the embedded database lives inside its own process');
      const gateway = gatewayOf(options);
      const database = await openDatabase({ url: config.databaseUrl, maxConnections: 2 });
      try {
        const report = await auditBooks(database.db, { schemas: auditSchemas(config.namespace), gateway });
        console.log(options.json ? JSON.stringify(report, null, 2) : formatReport(report));
        if (report.violations > 0) process.exitCode = 1;
      } finally {
        await database.close();
      }
    });
}
