import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SERVICE_NAMES } from '../../src/cli/compose.ts';
import { startPlatform, type StartedPlatform } from '../../src/cli/start.ts';
import { loadConfig } from '../../src/platform/config.ts';
import { eventually } from '../support/env.ts';
import { checkoutScenarios } from './checkout-scenarios.ts';
import { MarketplaceClient } from './marketplace-client.ts';

describe('embedded mode: every service in one process (in-process transport, PGlite, in-process gateway)', () => {
  let started: StartedPlatform;
  let client: MarketplaceClient;
  before(async () => {
    started = await startPlatform({ ...loadConfig({ NOTIFICATION_LOG_FILE: '/dev/null' }), httpPort: 0 }, {
      services: SERVICE_NAMES, installSignals: false,
    });
    const url = started.url;
    client = await MarketplaceClient.create({ checkout: url, payment: url, order: url, inventory: url, delivery: url, notification: url }, started.authSecret);
  });
  after(async () => { await started.stop(); });

  checkoutScenarios(() => client);

  test('a poison command is dead-lettered at once, listed for an admin, and can be discarded (not replayed twice)', async () => {
    await started.transport.publish([{ topic: 'order.commands', key: 'poison-1', value: Buffer.from('{not json'), headers: {} }]);
    const listed = await eventually('dead letter listed', async () => {
      const answer = await client.call('GET', `${started.url}/dead-letters?service=order&status=pending`, 'admin');
      const [order] = answer.body.services as { deadLetters: { id: string; key: string; reason: string }[]; statistics: { total: number } }[];
      return order?.deadLetters.find((letter) => letter.key === 'poison-1');
    });
    assert.equal(listed.reason, 'malformed');
    assert.equal((await client.call('GET', `${started.url}/dead-letters`, 'customer')).status, 403);
    const discarded = await client.call('POST', `${started.url}/dead-letters/order/${listed.id}/discard`, 'admin', { note: 'garbage from a test' });
    assert.equal(discarded.status, 200, discarded.text);
    assert.equal(discarded.body.status, 'discarded');
    assert.equal((await client.call('POST', `${started.url}/dead-letters/order/${listed.id}/replay`, 'admin', {})).status, 409);
    assert.equal((await client.call('POST', `${started.url}/dead-letters/nothing/1/replay`, 'admin', {})).status, 404);
    // The next command on that partition is still handled: checkouts go on.
    assert.equal((await client.checkout(1)).status, 201);
  });

  test('roles: a customer sees only their own orders and cannot use admin operations', async () => {
    const checkout = await client.checkout(1);
    const orderId = String(checkout.body.orderId);
    const stranger = await MarketplaceClient.create(client.endpoints, started.authSecret, 'someone-else');
    assert.equal((await stranger.call('GET', `${started.url}/orders/${orderId}`, 'customer')).status, 404);
    assert.equal((await client.call('GET', `${started.url}/orders/${orderId}`, 'customer')).status, 200);
    assert.equal((await client.call('POST', `${started.url}/orders/${orderId}/refunds`, 'customer', { amount: { amount: 100, currency: 'USD' }, reason: 'x' })).status, 403);
    assert.equal((await client.call('GET', `${started.url}/gateway-errors`, 'customer')).status, 403);
    assert.equal((await fetch(`${started.url}/orders/${orderId}`)).status, 401);
  });
});
