import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalParams, paramList, parseFormParams } from '../../src/gateway/simulator/form-params.ts';
import { StripeApiError } from '../../src/gateway/simulator/stripe-error.ts';

function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}

test("Stripe's bracket encoding becomes nested objects; lists keep their index order", () => {
  const params = parseFormParams('amount=100&metadata[orderId]=o%201&metadata%5Bnote%5D=a+b&expand[1]=y&expand[0]=x&types[]=a&types[]=b&a[b][c]=d');
  assert.deepEqual(plain(params), {
    amount: '100',
    metadata: { orderId: 'o 1', note: 'a b' },
    expand: { 1: 'y', 0: 'x' },
    types: { 0: 'a', 1: 'b' },
    a: { b: { c: 'd' } },
  });
  assert.deepEqual(paramList(params.expand ?? ''), ['x', 'y']);
  assert.deepEqual(paramList(params.types ?? ''), ['a', 'b']);
  assert.equal(paramList(params.metadata ?? ''), null);
});

test('empty values are kept (Stripe unsets metadata with them); empty pairs are skipped', () => {
  assert.deepEqual(plain(parseFormParams('metadata[k]=&&x')), { metadata: { k: '' }, x: '' });
});

test('parameter order does not change the canonical form', () => {
  assert.equal(canonicalParams(parseFormParams('b=2&a[y]=1&a[x]=0')), canonicalParams(parseFormParams('a[x]=0&a[y]=1&b=2')));
  assert.notEqual(canonicalParams(parseFormParams('a=1')), canonicalParams(parseFormParams('a=2')));
});

test('malformed input is a 400 invalid_request_error', () => {
  for (const text of ['a=%E0%A4%A', 'a=1&a[b]=2', 'a[b]=2&a=1', 'a[b=1', 'a]b[=1']) {
    assert.throws(() => parseFormParams(text), (error: unknown) => error instanceof StripeApiError && error.status === 400 && error.error.type === 'invalid_request_error', text);
  }
});

test('prototype keys are plain data', () => {
  const params = parseFormParams('__proto__[polluted]=yes&constructor[prototype][x]=1');
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.deepEqual(plain(params.__proto__), { polluted: 'yes' });
});
