import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CommitStock, ReleaseStock, ReserveStock } from '../../../src/contracts/events/saga.ts';
import { DEFAULT_MENU } from '../../../src/services/inventory/menu.ts';
import { eventually } from '../../support/env.ts';
import { openInventoryHarness, type InventoryHarness } from './inventory-harness.ts';

describe('inventory service embedded (in-process transport + PGlite)', () => {
  let h: InventoryHarness;
  before(async () => { h = await openInventoryHarness({ stack: 'in-process+pglite', menu: DEFAULT_MENU }); });
  after(async () => { await h.close(); });

  test('the default menu is seeded: Pasta Place with prices in cents and opening stock', async () => {
    const products = await h.service.catalogue.list({ restaurantId: 'resto-1' });
    assert.deepEqual(products.map(({ id, name, unitPrice, onHand, available }) => ({ id, name, unitPrice, onHand, available })), [
      { id: 'carbonara', name: 'Spaghetti Carbonara', unitPrice: { amount: 1_450, currency: 'USD' }, onHand: 30, available: 30 },
      { id: 'espresso', name: 'Espresso', unitPrice: { amount: 300, currency: 'USD' }, onHand: 100, available: 100 },
      { id: 'margherita', name: 'Pizza Margherita', unitPrice: { amount: 1_200, currency: 'USD' }, onHand: 50, available: 50 },
      { id: 'tiramisu', name: 'Tiramisu', unitPrice: { amount: 650, currency: 'USD' }, onHand: 20, available: 20 },
    ]);
  });

  test('reserve → repeat → commit → restock through the in-process transport, with the same answers as on Kafka', async () => {
    const orderId = h.orderId();
    const items = [{ productId: 'margherita', quantity: 2 }, { productId: 'espresso', quantity: 2 }];
    const first = await h.send(ReserveStock, { orderId, restaurantId: 'resto-1', items });
    assert.deepEqual([(await h.replyTo(first.commandId)).ok, (await h.replyTo(first.commandId)).result], [true, { reservationId: orderId }]);
    const repeat = await h.send(ReserveStock, { orderId, restaurantId: 'resto-1', items });
    assert.deepEqual((await h.replyTo(repeat.commandId)).result, { reservationId: orderId });
    await h.resend(first.envelope);
    const committed = await h.send(CommitStock, { orderId });
    assert.equal((await h.replyTo(committed.commandId)).ok, true);
    assert.equal(h.repliesTo(first.commandId).length, 1, 'the redelivered command was not answered again');
    assert.deepEqual(await h.stockOf('margherita'), { on_hand: 48, reserved: 0, stocked: 50 });
    const restocked = await h.send(ReleaseStock, { orderId, reason: 'order cancelled' });
    assert.deepEqual((await h.replyTo(restocked.commandId)).result, { reservationId: orderId, released: true, restocked: true });
    assert.deepEqual(await h.stockOf('margherita'), { on_hand: 50, reserved: 0, stocked: 50 });
    await eventually('three events', () => h.eventsOf(orderId).length >= 3);
    assert.deepEqual(h.eventsOf(orderId).map((event) => event.type), ['InventoryReserved', 'InventoryCommitted', 'InventoryReleased']);
    for (const id of ['margherita', 'espresso']) assert.equal((await h.service.availability(id))?.conserved, true);
  });

  test('concurrent checkouts of the last tiramisus: exactly the stock is held', async () => {
    const orders = Array.from({ length: 35 }, () => h.orderId('dessert'));
    const sent = await h.sendAll(orders.map((orderId) => ({ definition: ReserveStock, payload: { orderId, restaurantId: 'resto-1', items: [{ productId: 'tiramisu', quantity: 1 }] } })));
    const replies = await h.replyToEach(sent);
    assert.equal(replies.filter((reply) => reply.ok === true).length, 20);
    assert.deepEqual(await h.stockOf('tiramisu'), { on_hand: 20, reserved: 20, stocked: 20 });
  });

  test('seeding again (a restart) updates the menu but never resets stock that was reserved', async () => {
    const orderId = h.orderId();
    const sent = await h.send(ReserveStock, { orderId, restaurantId: 'resto-1', items: [{ productId: 'carbonara', quantity: 3 }] });
    assert.equal((await h.replyTo(sent.commandId)).ok, true);
    const renamed = DEFAULT_MENU.map((item) => (item.id === 'carbonara' ? { ...item, name: 'Carbonara della casa', stock: 999 } : item));
    assert.deepEqual(await h.service.seedMenu(renamed), []);
    const carbonara = await h.service.catalogue.view('carbonara');
    assert.deepEqual([carbonara.name, carbonara.onHand, carbonara.reserved], ['Carbonara della casa', 30, 3]);
    assert.deepEqual(await h.service.seedMenu([{ id: 'focaccia', restaurantId: 'resto-1', name: 'Focaccia', unitPrice: { amount: 450, currency: 'USD' }, stock: 7 }]), ['focaccia']);
    assert.equal((await h.service.catalogue.view('focaccia')).available, 7);
  });
});
