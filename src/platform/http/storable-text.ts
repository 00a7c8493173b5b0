/**
 * Text PostgreSQL can store. `text` and `jsonb` refuse U+0000, and a lone
 * UTF-16 surrogate has no UTF-8 form (the driver would silently turn it into
 * U+FFFD, jsonb refuses its `\ud800` escape). Every string a request carries —
 * values and object keys, at any depth — is checked once, at the HTTP edge.
 */

/** Deeper than any paysaga body goes; a deeper document is refused before anything walks it recursively. */
export const MAX_DEPTH = 32;

export interface TextProblem {
  path: string;
  message: string;
}

function problemOf(text: string): string | null {
  if (text.includes('\u0000')) return 'contains U+0000 (NUL), which cannot be stored';
  if (!text.isWellFormed()) return 'contains a lone UTF-16 surrogate, which is not valid Unicode text';
  return null;
}

/** The first string in `value` that cannot be stored (or a nesting deeper than MAX_DEPTH), or null. Iterative: a hostile depth cannot overflow the stack. */
export function findUnstorableText(value: unknown, root: string): TextProblem | null {
  const pending: { value: unknown; path: string; depth: number }[] = [{ value, path: root, depth: 0 }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const { path, depth } = next;
    if (typeof next.value === 'string') {
      const message = problemOf(next.value);
      if (message) return { path, message };
      continue;
    }
    if (typeof next.value !== 'object' || next.value === null || Buffer.isBuffer(next.value)) continue;
    if (depth >= MAX_DEPTH) return { path, message: `nests deeper than ${MAX_DEPTH} levels` };
    for (const [key, child] of Object.entries(next.value)) {
      const keyProblem = problemOf(key);
      if (keyProblem) return { path, message: `has a key that ${keyProblem}` };
      pending.push({ value: child, path: `${path}/${key}`, depth: depth + 1 });
    }
  }
  return null;
}
