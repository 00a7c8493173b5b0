import pg from 'pg';
import Stripe from 'stripe';
import { startGatewaySimulator, type GatewaySimulator } from '../../../gateway/simulator/index.ts';

/**
 * The state both comparison programs keep in PostgreSQL — orders, stock,
 * payments — in a schema of their own, with the same steps as paysaga's
 * checkout (create order, reserve stock, create payment, await it, commit
 * stock, confirm order) and the same gateway simulator through the same SDK.
 */
export class ComparisonStore {
  readonly pool: pg.Pool;
  readonly schema: string;

  constructor(databaseUrl: string, schema: string, connections = 10) {
    if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`not a schema name: ${schema}`);
    this.pool = new pg.Pool({ connectionString: databaseUrl, max: connections });
    this.schema = schema;
    this.pool.on('error', (error) => { console.error(`[${schema}] a PostgreSQL connection was lost: ${error.message}`); });
  }

  async migrate(): Promise<void> {
    const s = this.schema;
    await this.pool.query(`DROP SCHEMA IF EXISTS ${s} CASCADE; CREATE SCHEMA ${s};
      CREATE TABLE ${s}.orders (id text PRIMARY KEY, customer_id text NOT NULL, product_id text NOT NULL, amount bigint NOT NULL, currency text NOT NULL,
        status text NOT NULL, created_at timestamptz NOT NULL DEFAULT clock_timestamp(), updated_at timestamptz NOT NULL DEFAULT clock_timestamp(), confirmed_at timestamptz);
      CREATE TABLE ${s}.stock (product_id text PRIMARY KEY, on_hand bigint NOT NULL, reserved bigint NOT NULL DEFAULT 0);
      CREATE TABLE ${s}.payments (id text PRIMARY KEY, order_id text NOT NULL, intent_id text NOT NULL, client_secret text NOT NULL, status text NOT NULL);`);
  }

  async addProduct(id: string, stock: number): Promise<void> {
    await this.pool.query(`INSERT INTO ${this.schema}.stock (product_id, on_hand) VALUES ($1, $2) ON CONFLICT (product_id) DO UPDATE SET on_hand = EXCLUDED.on_hand`, [id, stock]);
  }

  async createOrder(order: { id: string; customerId: string; productId: string; amount: number; currency: string }): Promise<void> {
    await this.pool.query(`INSERT INTO ${this.schema}.orders (id, customer_id, product_id, amount, currency, status) VALUES ($1, $2, $3, $4, $5, 'PAYMENT_PENDING') ON CONFLICT (id) DO NOTHING`,
      [order.id, order.customerId, order.productId, order.amount, order.currency]);
  }

  async reserveStock(productId: string): Promise<boolean> {
    const result = await this.pool.query(`UPDATE ${this.schema}.stock SET reserved = reserved + 1 WHERE product_id = $1 AND on_hand - reserved >= 1`, [productId]);
    return result.rowCount === 1;
  }

  async releaseStock(productId: string): Promise<void> {
    await this.pool.query(`UPDATE ${this.schema}.stock SET reserved = reserved - 1 WHERE product_id = $1`, [productId]);
  }

  async commitStock(productId: string): Promise<void> {
    await this.pool.query(`UPDATE ${this.schema}.stock SET reserved = reserved - 1, on_hand = on_hand - 1 WHERE product_id = $1`, [productId]);
  }

  async recordPayment(payment: { id: string; orderId: string; intentId: string; clientSecret: string }): Promise<void> {
    await this.pool.query(`INSERT INTO ${this.schema}.payments (id, order_id, intent_id, client_secret, status) VALUES ($1, $2, $3, $4, 'PENDING') ON CONFLICT (id) DO NOTHING`,
      [payment.id, payment.orderId, payment.intentId, payment.clientSecret]);
  }

  async setPaymentStatus(id: string, status: string): Promise<void> {
    await this.pool.query(`UPDATE ${this.schema}.payments SET status = $2 WHERE id = $1`, [id, status]);
  }

  async setOrderStatus(id: string, status: 'CONFIRMED' | 'PAYMENT_FAILED'): Promise<void> {
    await this.pool.query(`UPDATE ${this.schema}.orders SET status = $2, updated_at = clock_timestamp(), confirmed_at = CASE WHEN $2 = 'CONFIRMED' THEN clock_timestamp() END WHERE id = $1`, [id, status]);
  }

  async order(id: string): Promise<{ id: string; status: string; productId: string; createdAt: Date; updatedAt: Date; confirmedAt: Date | null } | null> {
    const result = await this.pool.query<{ id: string; status: string; product_id: string; created_at: Date; updated_at: Date; confirmed_at: Date | null }>(
      `SELECT id, status, product_id, created_at, updated_at, confirmed_at FROM ${this.schema}.orders WHERE id = $1`, [id]);
    const row = result.rows[0];
    return row ? { id: row.id, status: row.status, productId: row.product_id, createdAt: row.created_at, updatedAt: row.updated_at, confirmedAt: row.confirmed_at } : null;
  }

  async payment(id: string): Promise<{ id: string; orderId: string; intentId: string; clientSecret: string; status: string } | null> {
    const result = await this.pool.query<{ id: string; order_id: string; intent_id: string; client_secret: string; status: string }>(`SELECT * FROM ${this.schema}.payments WHERE id = $1`, [id]);
    const row = result.rows[0];
    return row ? { id: row.id, orderId: row.order_id, intentId: row.intent_id, clientSecret: row.client_secret, status: row.status } : null;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** The gateway simulator in this process, and Stripe's SDK pointed at it (as paysaga's payment service does). */
export async function startGateway(): Promise<{ simulator: GatewaySimulator; stripe: Stripe }> {
  const simulator = await startGatewaySimulator({ port: 0 });
  const stripe = new Stripe('sk_test_comparison', { maxNetworkRetries: 0, host: simulator.host, port: simulator.port, protocol: 'http' });
  return { simulator, stripe };
}

/** Creates the order's PaymentIntent at the gateway, idempotently by order. */
export async function createIntent(stripe: Stripe, orderId: string, amount: number, currency: string): Promise<{ intentId: string; clientSecret: string }> {
  const intent = await stripe.paymentIntents.create({ amount, currency: currency.toLowerCase(), metadata: { orderId } }, { idempotencyKey: `${orderId}:create` });
  return { intentId: intent.id, clientSecret: intent.client_secret ?? '' };
}

/** Confirms with a test card: succeeded, or declined (the SDK throws a card error). */
export async function confirmIntent(stripe: Stripe, intentId: string, paymentMethod: string): Promise<'succeeded' | 'declined'> {
  try {
    const intent = await stripe.paymentIntents.confirm(intentId, { payment_method: paymentMethod }, { idempotencyKey: `${intentId}:confirm:${paymentMethod}` });
    return intent.status === 'succeeded' ? 'succeeded' : 'declined';
  } catch (error) {
    if (error instanceof Stripe.errors.StripeCardError) return 'declined';
    throw error;
  }
}

export const paymentIdOf = (orderId: string): string => `pay_${orderId.slice('ord_'.length)}`;
