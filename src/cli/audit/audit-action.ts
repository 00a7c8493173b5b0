import { loadConfig } from '../../platform/config.ts';
import { openDatabase } from '../../platform/database/database.ts';
import { auditBooks, auditSchemas, stripeGatewayRecords, type GatewayRecords } from './audit-books.ts';
import { formatReport } from './format-report.ts';

export interface AuditOptions {
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

/** What `paysaga audit` does (loaded only when it runs: audit-command.ts stays light for --help and serve). */
export async function runAuditCommand(options: AuditOptions): Promise<void> {
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
}
