import assert from 'node:assert/strict';
import { test } from 'node:test';
import { causedBy, ContractViolation, createEnvelope, decodeEnvelope } from '../../src/contracts/codec.ts';
import { EVENT_DEFINITIONS, EVENT_TOPICS } from '../../src/contracts/catalogue.ts';
import { PaymentCompleted } from '../../src/contracts/events/payment.ts';

const context = { source: 'payment', key: 'order-1', correlationId: 'saga-1' };
const completed = {
  paymentId: 'pay_1', orderId: 'order-1', amount: { amount: 2500, currency: 'USD' as const },
  stripePaymentIntentId: 'pi_1', stripeChargeId: 'ch_1', receiptUrl: null,
};

test('every topic of SPEC §2, and the orchestrator\'s command and reply topics, has a schema at version 1 or later', () => {
  const specTopics = [
    'payment.initiated', 'payment.processing', 'payment.completed', 'payment.failed', 'payment.cancelled',
    'payment.refund-initiated', 'payment.refunded', 'payment.webhook-received', 'order.created', 'order.updated',
    'order.confirmed', 'order.cancelled', 'inventory.reserved', 'inventory.released', 'inventory.committed',
    'delivery.created', 'delivery.updated', 'saga.payment.compensate',
  ];
  const orchestratorTopics = ['order.commands', 'inventory.commands', 'payment.commands', 'delivery.commands', 'notification.commands', 'saga.replies'];
  // Beyond the SPEC: a refund the gateway refused ends the refund saga that waits for it (docs/payments.md).
  const addedTopics = ['payment.refund-failed'];
  assert.deepEqual([...EVENT_TOPICS].sort(), [...specTopics, ...orchestratorTopics, ...addedTopics].sort());
  assert.ok(EVENT_DEFINITIONS.every((definition) => definition.version >= 1));
});

test('a produced envelope carries every field and round-trips through the decoder', () => {
  const envelope = createEnvelope(PaymentCompleted, completed, context);
  assert.match(envelope.eventId, /^[0-9a-f-]{36}$/);
  assert.match(envelope.traceparent, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  assert.equal(envelope.causationId, null);
  const decoded = decodeEnvelope(JSON.stringify(envelope));
  assert.ok(decoded.ok);
  assert.deepEqual(decoded.envelope, envelope);
  const next = createEnvelope(PaymentCompleted, completed, causedBy(envelope, 'order'));
  assert.equal(next.causationId, envelope.eventId);
  assert.equal(next.correlationId, 'saga-1');
  assert.equal(next.traceparent.split('-')[1], envelope.traceparent.split('-')[1], 'same trace');
});

test('an invalid payload is refused on produce: floats, unknown currencies, missing fields', () => {
  assert.throws(() => createEnvelope(PaymentCompleted, { ...completed, amount: { amount: 25.5, currency: 'USD' } }, context), ContractViolation);
  assert.throws(() => createEnvelope(PaymentCompleted, { ...completed, amount: { amount: 2500, currency: 'usd' as 'USD' } }, context), /currency/);
  const missing: Partial<typeof completed> = { ...completed };
  delete missing.receiptUrl;
  assert.throws(() => createEnvelope(PaymentCompleted, missing as typeof completed, context), /receiptUrl/);
});

test('the decoder names what is wrong instead of throwing', () => {
  const envelope = createEnvelope(PaymentCompleted, completed, context);
  const reasons = [
    decodeEnvelope('{oops'),
    decodeEnvelope(JSON.stringify({ ...envelope, eventId: 'not-a-uuid' })),
    decodeEnvelope(JSON.stringify({ ...envelope, version: 7 })),
    decodeEnvelope(JSON.stringify({ ...envelope, type: 'Nonsense' })),
    decodeEnvelope(JSON.stringify({ ...envelope, payload: { ...completed, amount: { amount: -1, currency: 'USD' } } })),
  ].map((result) => (result.ok ? 'ok' : result.reason));
  assert.deepEqual(reasons, ['malformed', 'malformed', 'unknown-version', 'unknown-type', 'invalid-payload']);
});
