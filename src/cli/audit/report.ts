/** One broken invariant: the ids of the rows involved and what is wrong with them. */
export interface Violation {
  ids: Record<string, string>;
  message: string;
}

/** One invariant over the books: how many things it looked at and what it found. */
export interface CheckResult {
  name: string;
  /** The invariant, in one sentence. */
  description: string;
  checked: number;
  violations: Violation[];
  /** Why the check could not run (e.g. the gateway's records were not read); a skipped check has no violations. */
  skipped?: string;
}

export interface AuditReport {
  readAt: string;
  checks: CheckResult[];
  /** Total violations over every check. */
  violations: number;
}

/** Collects a check's results: count what was looked at, note what is wrong. */
export class CheckTally {
  checked = 0;
  readonly violations: Violation[] = [];

  look(count = 1): void {
    this.checked += count;
  }

  violation(ids: Record<string, string>, message: string): void {
    this.violations.push({ ids, message });
  }

  result(name: string, description: string): CheckResult {
    return { name, description, checked: this.checked, violations: this.violations };
  }
}

export function skipped(name: string, description: string, reason: string): CheckResult {
  return { name, description, checked: 0, violations: [], skipped: reason };
}
