import { invalidRequest } from './stripe-error.ts';

/**
 * Parameters as Stripe's form encoding carries them: strings nested in objects.
 * Arrays arrive as `expand[0]=…` or `expand[]=…` and are kept as objects with
 * numeric keys; readers that expect a list turn them into one (see paramList),
 * so metadata keys that happen to be numbers are never mistaken for a list.
 */
export type ParamValue = string | ParamObject;
export interface ParamObject {
  [key: string]: ParamValue;
}

export function emptyParams(): ParamObject {
  return Object.create(null) as ParamObject;
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text.replaceAll('+', ' '));
  } catch {
    throw invalidRequest(`Invalid request: malformed percent-encoding in ${JSON.stringify(text.slice(0, 40))}`);
  }
}

/** `metadata[order][id]` → ['metadata', 'order', 'id']; `expand[]` → ['expand', '']. */
function keyPath(key: string): string[] {
  const open = key.indexOf('[');
  if (open <= 0) return [key];
  const path = [key.slice(0, open)];
  const rest = key.slice(open);
  const segments = /^(\[[^[\]]*\])+$/.test(rest) ? [...rest.matchAll(/\[([^[\]]*)\]/g)].map((match) => match[1] ?? '') : null;
  if (segments === null) throw invalidRequest(`Invalid request: malformed parameter name ${JSON.stringify(key)}`);
  return [...path, ...segments];
}

function assign(target: ParamObject, path: readonly string[], value: string, fullKey: string): void {
  let node = target;
  for (let index = 0; index < path.length; index++) {
    const isLast = index === path.length - 1;
    // `[]` appends: the next free index of the list being built.
    const segment = path[index] === '' ? String(Object.keys(node).length) : (path[index] ?? '');
    if (isLast) {
      if (typeof node[segment] === 'object') throw invalidRequest(`Invalid request: ${fullKey} is both a value and a hash`, { param: fullKey });
      node[segment] = value;
      return;
    }
    const child = node[segment];
    if (typeof child === 'string') throw invalidRequest(`Invalid request: ${fullKey} is both a value and a hash`, { param: fullKey });
    if (child === undefined) {
      const created = emptyParams();
      node[segment] = created;
      node = created;
    } else {
      node = child;
    }
  }
}

/** Parses `application/x-www-form-urlencoded` text (a body or a query string) with bracket nesting. */
export function parseFormParams(text: string): ParamObject {
  const params = emptyParams();
  for (const pair of text.split('&')) {
    if (pair === '') continue;
    const equals = pair.indexOf('=');
    const key = decode(equals === -1 ? pair : pair.slice(0, equals));
    const value = equals === -1 ? '' : decode(pair.slice(equals + 1));
    if (key === '') continue;
    assign(params, keyPath(key), value, key);
  }
  return params;
}

/** A canonical rendering (sorted keys) so equal parameters compare equal whatever their order on the wire. */
export function canonicalParams(value: ParamValue): string {
  if (typeof value === 'string') return JSON.stringify(value);
  const keys = Object.keys(value).sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalParams(value[key] ?? '')}`).join(',')}}`;
}

/** A list parameter (`x[0]=a&x[1]=b` or `x[]=a`) in index order, or null when it is not a list. */
export function paramList(value: ParamValue): string[] | null {
  if (typeof value === 'string') return null;
  const entries = Object.entries(value);
  if (!entries.every(([key, item]) => /^\d+$/.test(key) && typeof item === 'string')) return null;
  return entries.sort(([a], [b]) => Number(a) - Number(b)).map(([, item]) => item as string);
}
