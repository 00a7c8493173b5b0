import Type, { type Static } from 'typebox';

/**
 * ISO 4217 minor-unit exponents for the currencies paysaga accepts. Amounts are
 * always integers in the minor unit (cents for USD, yen for JPY, fils for KWD):
 * a float never carries money anywhere in paysaga.
 */
export const CURRENCY_EXPONENTS = {
  AUD: 2, BRL: 2, CAD: 2, CHF: 2, CNY: 2, CZK: 2, DKK: 2, EUR: 2, GBP: 2, HKD: 2,
  HUF: 2, ILS: 2, INR: 2, MXN: 2, NOK: 2, NZD: 2, PLN: 2, RON: 2, SEK: 2, SGD: 2,
  THB: 2, TRY: 2, USD: 2, ZAR: 2,
  CLP: 0, ISK: 0, JPY: 0, KRW: 0, VND: 0,
  BHD: 3, JOD: 3, KWD: 3, OMR: 3, TND: 3,
} as const;

export type CurrencyCode = keyof typeof CURRENCY_EXPONENTS;
export const CURRENCY_CODES = Object.keys(CURRENCY_EXPONENTS) as CurrencyCode[];

export function isCurrencyCode(value: string): value is CurrencyCode {
  return Object.hasOwn(CURRENCY_EXPONENTS, value);
}

/** Largest amount accepted in one money value: Stripe's own ceiling (99,999,999 minor units). */
export const MAX_MINOR_UNITS = 99_999_999;

export const CurrencySchema = Type.Enum(CURRENCY_CODES, { description: 'ISO 4217 alphabetic code, upper case' });

export const MinorUnitsSchema = Type.Integer({
  minimum: 0,
  maximum: MAX_MINOR_UNITS,
  description: 'Amount in the currency\'s minor unit (e.g. cents); never a float',
});

export const MoneySchema = Type.Object(
  { amount: MinorUnitsSchema, currency: CurrencySchema },
  { additionalProperties: false },
);
export type Money = Static<typeof MoneySchema>;

export class MoneyError extends Error {
  override name = 'MoneyError';
}

export function money(amount: number, currency: string): Money {
  if (!Number.isSafeInteger(amount) || amount < 0 || amount > MAX_MINOR_UNITS) {
    throw new MoneyError(`amount must be an integer number of minor units in [0, ${MAX_MINOR_UNITS}], got ${amount}`);
  }
  if (!isCurrencyCode(currency)) throw new MoneyError(`unknown currency ${JSON.stringify(currency)}`);
  return { amount, currency };
}

function sameCurrency(a: Money, b: Money): void {
  if (a.currency !== b.currency) throw new MoneyError(`currency mismatch: ${a.currency} vs ${b.currency}`);
}

export function addMoney(a: Money, b: Money): Money {
  sameCurrency(a, b);
  return money(a.amount + b.amount, a.currency);
}

export function subtractMoney(a: Money, b: Money): Money {
  sameCurrency(a, b);
  if (b.amount > a.amount) throw new MoneyError(`cannot subtract ${b.amount} from ${a.amount} ${a.currency}`);
  return money(a.amount - b.amount, a.currency);
}

/** Human-readable rendering for logs and notifications only; never parse it back. */
export function formatMoney(value: Money): string {
  const exponent = CURRENCY_EXPONENTS[value.currency];
  const major = Math.trunc(value.amount / 10 ** exponent);
  const minor = String(value.amount % 10 ** exponent).padStart(exponent, '0');
  return exponent === 0 ? `${major} ${value.currency}` : `${major}.${minor} ${value.currency}`;
}
