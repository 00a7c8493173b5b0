import type { Principal } from './auth.ts';

/**
 * A PaymentIntent client secret lets whoever holds it confirm the payment, so
 * it is shown only to the customer who pays — not to the restaurant, the
 * courier or even an admin. Applied to every response: a `clientSecret` field
 * survives only inside an object whose `customerId` is the calling customer;
 * anywhere else (no customerId beside it, another caller) it reads null.
 */
export function hideClientSecrets(payload: unknown, principal: Principal | undefined): unknown {
  if (Array.isArray(payload)) return payload.map((item: unknown) => hideClientSecrets(item, principal));
  if (!isPlainObject(payload)) return payload;
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(payload)) copy[key] = hideClientSecrets(value, principal);
  if ('clientSecret' in copy && copy.clientSecret !== null && !paysFor(principal, copy.customerId)) copy.clientSecret = null;
  return copy;
}

function paysFor(principal: Principal | undefined, customerId: unknown): boolean {
  return principal?.role === 'customer' && typeof customerId === 'string' && customerId === principal.subject;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
