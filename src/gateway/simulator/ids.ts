import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Random base-62 text: ids need to be unique, not reproducible, so they never consume the injected fault random. */
export function randomToken(length = 24): string {
  const bytes = randomBytes(length);
  let token = '';
  for (const byte of bytes) token += ALPHABET[byte % ALPHABET.length] ?? '0';
  return token;
}

/** Stripe-style object id: `pi_…`, `ch_…`, `re_…`, `evt_…`, `req_…`. */
export function newId(prefix: string): string {
  return `${prefix}_${randomToken()}`;
}

/** Stripe timestamps are unix seconds. */
export function unixSeconds(date = Date.now()): number {
  return Math.floor(date / 1000);
}
