import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CommitStock, ReleaseStock, ReserveStock } from '../../../src/contracts/events/saga.ts';
import { eventually } from '../../support/env.ts';
import { openInventoryHarness, type InventoryHarness } from './inventory-harness.ts';

type Json = Record<string, unknown>;

describe('inventory saga commands on kafka+postgres', () => {
  let h: InventoryHarness;
  let products = 0;
  before(async () => { h = await openInventoryHarness(); });
  after(async () => { await h.close(); });

  async function product(stock: number, active = true): Promise<string> {
    const created = await h.service.catalogue.create({ id: `p${++products}`, restaurantId: 'resto-test', name: `Dish ${products}`, unitPrice: { amount: 995, currency: 'USD' }, stock, active });
    return created.id;
  }

  async function reserve(orderId: string, items: { productId: string; quantity: number }[], ref?: { commandId?: string }): Promise<{ reply: Json; commandId: string; eventId: string; sagaId: string }> {
    const sent = await h.send(ReserveStock, { orderId, restaurantId: 'resto-test', items }, ref);
    return { reply: await h.replyTo(sent.commandId), commandId: sent.commandId, eventId: sent.envelope.eventId, sagaId: sent.sagaId };
  }

  async function commit(orderId: string): Promise<Json> {
    return h.replyTo((await h.send(CommitStock, { orderId })).commandId);
  }

  async function release(orderId: string, reason = 'checkout failed'): Promise<Json> {
    return h.replyTo((await h.send(ReleaseStock, { orderId, reason })).commandId);
  }

  async function assertConserved(productId: string): Promise<void> {
    const audit = await h.service.availability(productId);
    assert.ok(audit?.conserved, `stock of ${productId} conserved: ${JSON.stringify(audit)}`);
  }

  test('ReserveStock: all lines held, ok with the reservation id, inventory.reserved in the same saga and trace', async () => {
    const [pizza, cake] = [await product(10), await product(5)];
    const orderId = h.orderId();
    const { reply, commandId, eventId, sagaId } = await reserve(orderId, [{ productId: pizza, quantity: 2 }, { productId: cake, quantity: 1 }, { productId: pizza, quantity: 1 }]);
    assert.deepEqual(reply, { sagaId, commandId, step: 'test-step', command: 'ReserveStock', ok: true, reason: null, result: { reservationId: orderId } });
    assert.deepEqual(await h.stockOf(pizza), { on_hand: 10, reserved: 3, stocked: 10 });
    assert.deepEqual(await h.stockOf(cake), { on_hand: 5, reserved: 1, stocked: 5 });
    const event = await eventually('inventory.reserved', () => h.eventsOf(orderId).find((candidate) => candidate.type === 'InventoryReserved'));
    // One line per product, in product-id order.
    const items = [{ productId: pizza, quantity: 3 }, { productId: cake, quantity: 1 }].sort((a, b) => a.productId.localeCompare(b.productId));
    assert.deepEqual(event.payload, { orderId, reservationId: orderId, items });
    assert.equal(event.correlationId, sagaId);
    assert.equal(event.causationId, eventId);
    assert.equal(event.source, 'inventory');
    const audit = await h.service.availability(pizza);
    assert.deepEqual(audit, { productId: pizza, onHand: 10, reserved: 3, available: 7, held: 3, sold: 0, stocked: 10, conserved: true });
  });

  test('ReserveStock refuses a product of another restaurant: the whole order, stock untouched', async () => {
    const [own, foreign] = [await product(10), (await h.service.catalogue.create({ id: `p${++products}`, restaurantId: 'resto-elsewhere', name: 'Elsewhere', unitPrice: { amount: 995, currency: 'USD' }, stock: 10 })).id];
    const orderId = h.orderId();
    const { reply } = await reserve(orderId, [{ productId: own, quantity: 1 }, { productId: foreign, quantity: 2 }]);
    assert.equal(reply.ok, false);
    assert.equal(reply.reason, `other_restaurant: ${foreign} is not on the menu of resto-test`);
    assert.deepEqual(await h.stockOf(own), { on_hand: 10, reserved: 0, stocked: 10 });
    assert.deepEqual(await h.stockOf(foreign), { on_hand: 10, reserved: 0, stocked: 10 });
  });

  test('ReserveStock is all or nothing: one short line refuses the order and holds nothing', async () => {
    const [pizza, cake] = [await product(10), await product(1)];
    const orderId = h.orderId();
    const { reply } = await reserve(orderId, [{ productId: pizza, quantity: 2 }, { productId: cake, quantity: 2 }]);
    assert.equal(reply.ok, false);
    assert.equal(reply.reason, `out_of_stock: ${cake} requested 2, available 1`);
    assert.deepEqual(await h.stockOf(pizza), { on_hand: 10, reserved: 0, stocked: 10 });
    assert.deepEqual(await h.stockOf(cake), { on_hand: 1, reserved: 0, stocked: 1 });
    assert.equal(await h.count('reservations', { column: 'order_id', value: orderId }), 0);
    assert.equal(await h.count('reservation_lines', { column: 'order_id', value: orderId }), 0);
    assert.equal(h.eventsOf(orderId).length, 0);
  });

  test('unknown and inactive products are refused by name', async () => {
    const old = await product(50, false);
    const unknown = await reserve(h.orderId(), [{ productId: 'no-such-dish', quantity: 1 }]);
    assert.equal(unknown.reply.ok, false);
    assert.equal(unknown.reply.reason, 'unknown_product: no-such-dish is not on the menu');
    const inactive = await reserve(h.orderId(), [{ productId: old, quantity: 1 }]);
    assert.equal(inactive.reply.reason, `product_inactive: ${old} is not on sale`);
    assert.deepEqual(await h.stockOf(old), { on_hand: 50, reserved: 0, stocked: 50 });
  });

  test('a repeated ReserveStock (saga retry, new commandId) answers the same and holds nothing more', async () => {
    const pizza = await product(10);
    const orderId = h.orderId();
    const first = await reserve(orderId, [{ productId: pizza, quantity: 4 }]);
    const again = await reserve(orderId, [{ productId: pizza, quantity: 4 }]);
    assert.notEqual(first.commandId, again.commandId);
    assert.deepEqual([first.reply.ok, first.reply.result], [true, { reservationId: orderId }]);
    assert.deepEqual([again.reply.ok, again.reply.result], [true, { reservationId: orderId }]);
    assert.deepEqual(await h.stockOf(pizza), { on_hand: 10, reserved: 4, stocked: 10 });
    // The only inventory event of the order is the first reservation's.
    await eventually('inventory.reserved', () => h.eventsOf(orderId).length >= 1);
    assert.deepEqual(h.eventsOf(orderId).map((event) => event.type), ['InventoryReserved']);
  });

  test('a refused ReserveStock stays refused on retry, even once stock arrived (the saga is already compensating)', async () => {
    const cake = await product(1);
    const orderId = h.orderId();
    const first = await reserve(orderId, [{ productId: cake, quantity: 3 }]);
    assert.equal(first.reply.ok, false);
    await h.service.catalogue.setStock(cake, 100);
    const again = await reserve(orderId, [{ productId: cake, quantity: 3 }]);
    assert.deepEqual([again.reply.ok, again.reply.reason], [false, first.reply.reason]);
    assert.deepEqual(await h.stockOf(cake), { on_hand: 100, reserved: 0, stocked: 100 });
  });

  test('a redelivered command (same eventId) is handled once: no second reply, no second hold', async () => {
    const pizza = await product(10);
    const orderId = h.orderId();
    const sent = await h.send(ReserveStock, { orderId, restaurantId: 'resto-test', items: [{ productId: pizza, quantity: 1 }] });
    await h.replyTo(sent.commandId);
    await h.resend(sent.envelope);
    // Same key, same partition: once the next command on the order is answered, the redelivery was consumed before it.
    const marker = await commit(orderId);
    assert.equal(marker.ok, true);
    assert.equal(h.repliesTo(sent.commandId).length, 1);
    assert.deepEqual(await h.stockOf(pizza), { on_hand: 9, reserved: 0, stocked: 10 });
  });

  test('CommitStock turns the hold into a sale, once; a retry answers ok and changes nothing', async () => {
    const pizza = await product(10);
    const orderId = h.orderId();
    await reserve(orderId, [{ productId: pizza, quantity: 3 }]);
    const first = await commit(orderId);
    assert.deepEqual([first.ok, first.result], [true, { reservationId: orderId }]);
    assert.deepEqual(await h.stockOf(pizza), { on_hand: 7, reserved: 0, stocked: 10 });
    const again = await commit(orderId);
    assert.deepEqual([again.ok, again.result], [true, { reservationId: orderId }]);
    assert.deepEqual(await h.stockOf(pizza), { on_hand: 7, reserved: 0, stocked: 10 });
    await eventually('committed event', () => h.eventsOf(orderId).some((event) => event.type === 'InventoryCommitted'));
    assert.deepEqual(h.eventsOf(orderId).map((event) => event.type), ['InventoryReserved', 'InventoryCommitted']);
    assert.deepEqual(await h.service.availability(pizza), { productId: pizza, onHand: 7, reserved: 0, available: 7, held: 0, sold: 3, stocked: 10, conserved: true });
  });

  test('CommitStock without a reservation, or after it was released, is refused and changes nothing', async () => {
    const pizza = await product(10);
    const none = await commit(h.orderId());
    assert.equal(none.ok, false);
    assert.match(String(none.reason), /^no_reservation: /);
    const orderId = h.orderId();
    await reserve(orderId, [{ productId: pizza, quantity: 2 }]);
    await release(orderId);
    const late = await commit(orderId);
    assert.equal(late.ok, false);
    assert.match(String(late.reason), /^reservation_released: /);
    assert.deepEqual(await h.stockOf(pizza), { on_hand: 10, reserved: 0, stocked: 10 });
  });

  test('ReleaseStock of a held reservation gives the units back and publishes inventory.released with the reason', async () => {
    const pizza = await product(10);
    const orderId = h.orderId();
    await reserve(orderId, [{ productId: pizza, quantity: 6 }]);
    const released = await release(orderId, 'payment declined');
    assert.deepEqual([released.ok, released.result], [true, { reservationId: orderId, released: true, restocked: false }]);
    assert.deepEqual(await h.stockOf(pizza), { on_hand: 10, reserved: 0, stocked: 10 });
    const event = await eventually('inventory.released', () => h.eventsOf(orderId).find((candidate) => candidate.type === 'InventoryReleased'));
    assert.deepEqual(event.payload, { orderId, reservationId: orderId, reason: 'payment declined' });
    const again = await release(orderId, 'payment declined');
    assert.deepEqual([again.ok, again.result], [true, { reservationId: orderId, released: false, restocked: false }]);
    assert.deepEqual(await h.stockOf(pizza), { on_hand: 10, reserved: 0, stocked: 10 });
    await assertConserved(pizza);
  });

  test('ReleaseStock of a committed sale restocks it (a cancelled order that never shipped), once', async () => {
    const pizza = await product(10);
    const orderId = h.orderId();
    await reserve(orderId, [{ productId: pizza, quantity: 4 }]);
    await commit(orderId);
    const restocked = await release(orderId, 'order cancelled: customer request');
    assert.deepEqual([restocked.ok, restocked.result], [true, { reservationId: orderId, released: true, restocked: true }]);
    assert.deepEqual(await h.stockOf(pizza), { on_hand: 10, reserved: 0, stocked: 10 });
    const again = await release(orderId, 'order cancelled: customer request');
    assert.deepEqual(again.result, { reservationId: orderId, released: false, restocked: false });
    assert.deepEqual(await h.stockOf(pizza), { on_hand: 10, reserved: 0, stocked: 10 });
    // A late repeat of the commit answers as the commit did, and changes nothing.
    const lateCommit = await commit(orderId);
    assert.equal(lateCommit.ok, true);
    assert.deepEqual(await h.stockOf(pizza), { on_hand: 10, reserved: 0, stocked: 10 });
    await assertConserved(pizza);
  });

  test('ReleaseStock of an unknown order succeeds with released: false, and a late ReserveStock for it is refused', async () => {
    const pizza = await product(10);
    const orderId = h.orderId();
    const released = await release(orderId, 'saga timed out');
    assert.deepEqual([released.ok, released.result], [true, { reservationId: orderId, released: false, restocked: false }]);
    const late = await reserve(orderId, [{ productId: pizza, quantity: 1 }]);
    assert.equal(late.reply.ok, false);
    assert.match(String(late.reply.reason), /^order_released: /);
    assert.deepEqual(await h.stockOf(pizza), { on_hand: 10, reserved: 0, stocked: 10 });
    assert.equal(h.eventsOf(orderId).length, 0);
  });
});
