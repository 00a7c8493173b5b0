import type { AuditReport } from './report.ts';

const MAX_LISTED_PER_CHECK = 50;

/** Each violation with its ids, then a summary table (check, checked, violations). */
export function formatReport(report: AuditReport): string {
  const lines: string[] = [];
  for (const check of report.checks) {
    for (const violation of check.violations.slice(0, MAX_LISTED_PER_CHECK)) {
      const ids = Object.entries(violation.ids).map(([name, value]) => `${name}=${value}`).join(' ');
      lines.push(`VIOLATION ${check.name}: ${violation.message}  [${ids}]`);
    }
    if (check.violations.length > MAX_LISTED_PER_CHECK) lines.push(`  … and ${check.violations.length - MAX_LISTED_PER_CHECK} more ${check.name} violations (--json lists all)`);
  }
  if (lines.length > 0) lines.push('');
  const width = Math.max(...report.checks.map((check) => check.name.length), 'check'.length);
  lines.push(`${'check'.padEnd(width)}  ${'checked'.padStart(8)}  ${'violations'.padStart(10)}  invariant`);
  for (const check of report.checks) {
    const count = check.skipped ? 'skipped' : String(check.violations.length);
    lines.push(`${check.name.padEnd(width)}  ${String(check.checked).padStart(8)}  ${count.padStart(10)}  ${check.description}${check.skipped ? ` (${check.skipped})` : ''}`);
  }
  lines.push('', report.violations === 0 ? `audit at ${report.readAt}: 0 violations` : `audit at ${report.readAt}: ${report.violations} violation${report.violations === 1 ? '' : 's'}`);
  return lines.join('\n');
}
