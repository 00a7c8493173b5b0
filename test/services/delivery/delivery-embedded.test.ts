import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CancelDelivery, CreateDelivery } from '../../../src/contracts/events/saga.ts';
import type { DeliveryService } from '../../../src/services/delivery/delivery-service.ts';
import { eventually, uniqueName } from '../../support/env.ts';
import { openDeliveryHarness } from './delivery-harness.ts';
import type { ServiceHarness } from './service-harness.ts';

type Json = Record<string, unknown>;

// Embedded mode: the in-process transport and PGlite hold the service to the same behaviour as Kafka and PostgreSQL.
describe('delivery service on the in-process transport and PGlite', () => {
  let h: ServiceHarness<DeliveryService>;
  // A custom area: only addresses in "Springfield" are served.
  before(async () => { h = await openDeliveryHarness({ stack: 'in-process+pglite', isDeliverable: (address) => address.endsWith('Springfield') }); });
  after(async () => { await h.close(); });

  test('create (twice), courier moves, cancel after pick-up: the same answers and events as on Kafka', async () => {
    const orderId = uniqueName('order');
    const first = await h.send(CreateDelivery, { orderId, customerId: 'cust_1', restaurantId: 'resto-1', address: '3 Elm Street, Springfield' });
    const retry = await h.send(CreateDelivery, { orderId, customerId: 'cust_1', restaurantId: 'resto-1', address: '3 Elm Street, Springfield' }, { sagaId: first.sagaId });
    const [created, repeated] = [await h.replyTo(first.commandId), await h.replyTo(retry.commandId)];
    assert.equal(created.ok, true);
    assert.deepEqual(repeated.result, created.result);
    const deliveryId = String((created.result as Json).deliveryId);

    const courier = await h.token('courier', 'courier_1');
    for (const status of ['COURIER_ASSIGNED', 'PICKED_UP']) {
      const answer = await h.request('POST', `/deliveries/${deliveryId}/status`, { token: courier, body: { status } });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
    }
    const cancel = await h.send(CancelDelivery, { orderId, reason: 'too late' });
    assert.deepEqual((await h.replyTo(cancel.commandId)).result, { shipped: true });

    const types = await eventually('created and two updates', () => {
      const seen = h.events.filter((event) => event.key === orderId).map((event) => `${event.type}:${(event.payload as { status?: string }).status ?? ''}`);
      return seen.length >= 3 && seen;
    });
    assert.deepEqual(types.toSorted(), ['DeliveryCreated:', 'DeliveryUpdated:COURIER_ASSIGNED', 'DeliveryUpdated:PICKED_UP']);
    assert.equal((await h.service.findByOrder(orderId))?.status, 'PICKED_UP');
  });

  test('the configured area rule decides refusals', async () => {
    const orderId = uniqueName('order');
    const sent = await h.send(CreateDelivery, { orderId, customerId: 'cust_1', restaurantId: 'resto-1', address: '1 Main Street, Shelbyville' });
    const reply = await h.replyTo(sent.commandId);
    assert.equal(reply.ok, false);
    assert.match(String(reply.reason), /^address_not_deliverable: 1 Main Street, Shelbyville is outside the delivery area$/);
    assert.equal(await h.service.app.refusalOf(orderId), reply.reason);
  });
});
