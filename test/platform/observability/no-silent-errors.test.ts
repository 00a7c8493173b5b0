import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';

/**
 * No error is swallowed (issue 8, HELPERS.md): every `catch` — a catch
 * clause, a `.catch(...)` callback, the rejection half of `.then(...)`, an
 * `'error'` listener — either rethrows, logs, or turns the error into a value
 * it hands on (it reads the caught error). A catch that does none of these
 * must say why in a `// not logged: <reason>` comment, so the choice is
 * deliberate and reviewable.
 */
const src = join(import.meta.dirname, '..', '..', '..', 'src');

function filesUnder(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    return statSync(path).isDirectory() ? filesUnder(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** The text from `open` (an opening bracket) to its matching close. */
function balanced(text: string, open: number): string {
  const pairs: Record<string, string> = { '{': '}', '(': ')' };
  const closer = pairs[text[open] ?? ''];
  let depth = 0;
  for (let index = open; index < text.length; index += 1) {
    if (text[index] === text[open]) depth += 1;
    else if (text[index] === closer && --depth === 0) return text.slice(open, index + 1);
  }
  return text.slice(open);
}

const LOGS = /\.(fatal|error|warn|info|debug|trace)\(|console\.(error|warn|log)\(|\blog\(|loggedAndIgnored\(/;
const REASON = /\/\/ not logged: \S/;

function handles(body: string, binding: string | null): boolean {
  return /\bthrow\b/.test(body) || LOGS.test(body) || REASON.test(body) || (binding !== null && new RegExp(`\\b${binding}\\b`).test(body));
}

const lineOf = (text: string, index: number): number => text.slice(0, index).split('\n').length;

/** Every catch in `text` that neither rethrows, logs, uses its error, nor states why: `line: snippet`. */
export function silentCatches(text: string): string[] {
  const found: string[] = [];
  const report = (index: number): void => { found.push(`${lineOf(text, index)}: ${text.slice(index, index + 80).split('\n')[0] ?? ''}`); };
  // For a one-line catch, a `// not logged:` reason on its own line or the line before.
  const reasonBefore = (index: number): boolean => {
    const lineStart = text.lastIndexOf('\n', index - 1) + 1;
    const previousStart = lineStart === 0 ? 0 : text.lastIndexOf('\n', lineStart - 2) + 1;
    const lineEnd = text.indexOf('\n', index);
    return REASON.test(text.slice(previousStart, lineEnd === -1 ? undefined : lineEnd));
  };

  for (const match of text.matchAll(/\bcatch\s*(?:\(\s*(\w+)[^)]*\))?\s*\{/g)) {
    const body = balanced(text, (match.index) + match[0].length - 1);
    if (!handles(body, match[1] ?? null)) report(match.index);
  }
  for (const match of text.matchAll(/\.catch\(/g)) {
    const call = balanced(text, match.index + match[0].length - 1).slice(1, -1).trim();
    const callback = /^(?:async\s*)?(?:\(\s*(\w+)?[^)]*\)|(\w+))\s*=>\s*([\s\S]*)$/.exec(call);
    if (!callback) continue; // a named handler: it is checked where it is written
    if (!handles(callback[3] ?? '', callback[1] ?? callback[2] ?? null) && !reasonBefore(match.index)) report(match.index);
  }
  for (const match of text.matchAll(/\.then\(/g)) {
    const call = balanced(text, match.index + match[0].length - 1).slice(1, -1);
    const rejection = /,\s*(?:async\s*)?\(\s*(\w+)?[^)]*\)\s*=>\s*([\s\S]*)$/.exec(call);
    if (rejection && !handles(rejection[2] ?? '', rejection[1] ?? null) && !reasonBefore(match.index)) report(match.index);
  }
  for (const match of text.matchAll(/\.on\(\s*['"]error['"]\s*,/g)) {
    const call = balanced(text, match.index + 3).slice(1, -1);
    const listener = /,\s*(?:async\s*)?\(\s*(\w+)?[^)]*\)\s*=>\s*([\s\S]*)$/.exec(call);
    if (listener && !handles(listener[2] ?? '', listener[1] ?? null) && !reasonBefore(match.index)) report(match.index);
  }
  return found;
}

test('no catch in src swallows an error without logging it or saying why', () => {
  const offenders = filesUnder(src).flatMap((file) => silentCatches(readFileSync(file, 'utf8')).map((where) => `${relative(src, file)}:${where}`));
  assert.deepEqual(offenders, []);
});

test('the check finds each shape of a swallowed error', () => {
  assert.equal(silentCatches('try { a(); } catch {}').length, 1);
  assert.equal(silentCatches('try { a(); } catch (error) { retry(); }').length, 1);
  assert.equal(silentCatches('await p.catch(() => undefined);').length, 1);
  assert.equal(silentCatches('await p.catch(() => null);').length, 1);
  assert.equal(silentCatches('await p.catch((_error) => []);').length, 1);
  assert.equal(silentCatches('p.then(() => undefined, () => undefined);').length, 1);
  assert.equal(silentCatches("pool.on('error', () => undefined);").length, 1);
  assert.equal(silentCatches('const up = await ping().then(() => true, () => false);').length, 1);
  assert.equal(silentCatches('for (;;) { try { await run(); } catch { await sleep(10); } }').length, 1);
});

test('the check accepts a catch that rethrows, logs, hands the error on, or says why', () => {
  assert.deepEqual(silentCatches('try { a(); } catch (error) { throw new Wrapped(error); }'), []);
  assert.deepEqual(silentCatches('try { a(); } catch (error) { logger.warn({ err: error }, "x"); }'), []);
  assert.deepEqual(silentCatches('try { a(); } catch { this.#logger.error("x"); }'), []);
  assert.deepEqual(silentCatches('try { a(); } catch (error) { return { ok: false, detail: String(error) }; }'), []);
  assert.deepEqual(silentCatches('try { a(); } catch {\n  // not logged: a malformed escape is matched literally\n  return s;\n}'), []);
  assert.deepEqual(silentCatches('await p.catch(loggedAndIgnored(log, "debug", "x"));'), []);
  assert.deepEqual(silentCatches('await p.catch((error: unknown) => { log.warn({ err: error }, "x"); });'), []);
  assert.deepEqual(silentCatches('// not logged: the caller gets the rejection from `result`\nthis.tail = result.catch(() => undefined);'), []);
});
