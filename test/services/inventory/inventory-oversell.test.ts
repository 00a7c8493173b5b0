import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createEnvelope } from '../../../src/contracts/codec.ts';
import { CommitStock, ReleaseStock, ReserveStock } from '../../../src/contracts/events/saga.ts';
import type { CommandOutcome } from '../../../src/platform/saga/participant.ts';
import { eventually } from '../../support/env.ts';
import { openInventoryHarness, type InventoryHarness } from './inventory-harness.ts';

type Json = Record<string, unknown>;

describe('inventory never oversells (kafka+postgres)', () => {
  let h: InventoryHarness;
  // Three instances in one group: each owns a partition of inventory.commands, so checkouts race on the stock row.
  before(async () => { h = await openInventoryHarness({ instances: 3, maxConnections: 30 }); });
  after(async () => { await h.close(); });

  test('200 concurrent checkouts of the last 50 units: exactly 50 held, 150 refused; releasing the refused ones changes nothing', async () => {
    const productId = 'last-pizzas';
    await h.service.catalogue.create({ id: productId, restaurantId: 'resto-test', name: 'The last pizzas', unitPrice: { amount: 1_200, currency: 'USD' }, stock: 50 });
    const orders = Array.from({ length: 200 }, () => h.orderId('rush'));
    const sent = await h.sendAll(orders.map((orderId) => ({ definition: ReserveStock, payload: { orderId, restaurantId: 'resto-test', items: [{ productId, quantity: 1 }] } })));
    const replies = await h.replyToEach(sent);

    const held = orders.filter((_, index) => replies[index]?.ok === true);
    const refused = orders.filter((_, index) => replies[index]?.ok === false);
    assert.equal(held.length, 50);
    assert.equal(refused.length, 150);
    for (const reply of replies.filter((candidate) => candidate.ok === false)) assert.match(String(reply.reason), /^out_of_stock: last-pizzas requested 1, available 0$/);
    assert.deepEqual(await h.stockOf(productId), { on_hand: 50, reserved: 50, stocked: 50 });
    assert.equal(await h.count('reservations'), 50);
    await eventually('50 inventory.reserved events', () => h.events.filter((event) => event.type === 'InventoryReserved').length >= 50);
    assert.deepEqual(new Set(h.events.filter((event) => event.type === 'InventoryReserved').map((event) => event.key)), new Set(held));

    // Compensating the refused checkouts: every release succeeds, and none gives back anything (they held nothing).
    const releases = await h.sendAll(refused.map((orderId) => ({ definition: ReleaseStock, payload: { orderId, reason: 'out of stock' } })));
    const released = await h.replyToEach(releases);
    assert.ok(released.every((reply) => reply.ok === true && (reply.result as Json).released === false));
    assert.deepEqual(await h.stockOf(productId), { on_hand: 50, reserved: 50, stocked: 50 });
    assert.equal(h.events.filter((event) => event.type === 'InventoryReleased').length, 0);

    // The 50 paid checkouts take the shelf empty, and the books balance.
    const commits = await h.sendAll(held.map((orderId) => ({ definition: CommitStock, payload: { orderId } })));
    assert.ok((await h.replyToEach(commits)).every((reply) => reply.ok === true));
    assert.deepEqual(await h.stockOf(productId), { on_hand: 0, reserved: 0, stocked: 50 });
    assert.deepEqual(await h.service.availability(productId), { productId, onHand: 0, reserved: 0, available: 0, held: 0, sold: 50, stocked: 50, conserved: true });
  });

  test('concurrent multi-product orders naming products in any order neither oversell nor deadlock', async () => {
    for (const [id, stock] of [['dish-a', 30], ['dish-b', 40], ['dish-c', 1_000]] as const) {
      await h.service.catalogue.create({ id, restaurantId: 'resto-test', name: id, unitPrice: { amount: 500, currency: 'USD' }, stock });
    }
    const orderings = [['dish-a', 'dish-b', 'dish-c'], ['dish-c', 'dish-b', 'dish-a'], ['dish-b', 'dish-c', 'dish-a']];
    // Straight onto the database, as many transactions at once as the pool holds, to race harder than three partitions can.
    const outcomes = await Promise.all(Array.from({ length: 100 }, async (_, index) => {
      const orderId = h.orderId('multi');
      const items = (orderings[index % orderings.length] ?? []).map((productId) => ({ productId, quantity: 1 }));
      const cause = createEnvelope(ReserveStock, { sagaId: `saga-${orderId}`, commandId: `cmd-${orderId}`, step: 'reserve-stock', orderId, restaurantId: 'resto-test', items }, { source: 'saga', key: orderId, correlationId: `saga-${orderId}` });
      return h.database.db.transaction().execute((trx): Promise<CommandOutcome> => h.service.reservations.reserve({ trx, publish: () => undefined }, { orderId, restaurantId: 'resto-test', items }, cause));
    }));
    assert.equal(outcomes.filter((outcome) => outcome.ok).length, 30);
    assert.deepEqual(await h.stockOf('dish-a'), { on_hand: 30, reserved: 30, stocked: 30 });
    assert.deepEqual(await h.stockOf('dish-b'), { on_hand: 40, reserved: 30, stocked: 40 });
    assert.deepEqual(await h.stockOf('dish-c'), { on_hand: 1_000, reserved: 30, stocked: 1_000 });
    for (const id of ['dish-a', 'dish-b', 'dish-c']) assert.equal((await h.service.availability(id))?.conserved, true);
  });
});
