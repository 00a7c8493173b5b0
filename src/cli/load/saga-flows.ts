import type { CallRecord, TimedAnswer, TimedHttp } from './timed-http.ts';

/** What a saga of the run does after checkout. */
export type SagaKind = 'checkout' | 'decline' | 'cancel' | 'full-refund' | 'partial-refund';

/** How one saga ended, as the client saw it. */
export type SagaOutcome =
  | 'confirmed' | 'declined' | 'cancelled' | 'refunded'
  | 'rejected' // a call was refused (4xx/5xx, 503 shedding included) before the saga could finish
  | 'unexpected' // the saga ended otherwise than its kind says (a visa checkout compensated)
  | 'timeout' // not done within sagaTimeoutMs
  | 'aborted';

/** Why a saga did not reach its expected end. */
export type ErrorKind = 'overloaded-503' | 'http-4xx' | 'http-5xx' | 'no-answer' | 'unexpected-outcome' | 'timeout' | 'aborted';

export interface SagaError {
  kind: ErrorKind;
  route: string | null;
  status: number | null;
  message: string;
  retryAfterSeconds?: number;
}

/** One saga of the run, as the driver recorded it. */
export interface SagaRecord {
  seq: number;
  kind: SagaKind;
  /** Started during the warm-up: left out of every figure. */
  warmup: boolean;
  outcome: SagaOutcome;
  orderId: string | null;
  sagaId: string | null;
  paymentId: string | null;
  /** The follow-up saga (refund) of cancel and refund kinds. */
  followUpSagaId: string | null;
  /** Client clock (ms since the run began): the checkout request was sent, the driver saw the end. */
  startedAtMs: number;
  endedAtMs: number;
  /**
   * From the saga's own timestamps (GET /sagas/:id): its creation to the order's confirmation (the confirm-order
   * step's success), or to its end for a declined checkout. Null when the saga did not get there.
   */
  e2eMs: number | null;
  /** The follow-up (refund) saga's creation to its end, from its own timestamps. */
  followUpMs: number | null;
  calls: CallRecord[];
  error: SagaError | null;
}

export interface FlowContext {
  http: TimedHttp;
  customerToken: string;
  adminToken: string;
  product: { id: string; name: string; unitPrice: { amount: number; currency: string } };
  signal: AbortSignal;
  sagaTimeoutMs: number;
  poll: { initialMs: number; maxMs: number };
  declineCard: string;
}

class FlowStop extends Error {
  readonly error: SagaError;
  readonly outcome: SagaOutcome;
  constructor(outcome: SagaOutcome, error: SagaError) {
    super(error.message);
    this.outcome = outcome;
    this.error = error;
  }
}

const TERMINAL_ORDER = new Set(['CONFIRMED', 'PAYMENT_FAILED', 'CANCELLED', 'REFUNDED', 'DELIVERED', 'PREPARING', 'READY_FOR_PICKUP', 'OUT_FOR_DELIVERY', 'PARTIALLY_REFUNDED']);
const ENDED_SAGA = new Set(['COMPLETED', 'COMPENSATED', 'FAILED']);

/** Runs one saga of `kind` to its end and records it; never throws (every trouble is in the record). */
export async function runSagaFlow(context: FlowContext, seq: number, kind: SagaKind, warmup: boolean, clock: () => number): Promise<SagaRecord> {
  const record: SagaRecord = {
    seq, kind, warmup, outcome: 'aborted', orderId: null, sagaId: null, paymentId: null, followUpSagaId: null,
    startedAtMs: clock(), endedAtMs: 0, e2eMs: null, followUpMs: null, calls: [], error: null,
  };
  const deadline = Date.now() + context.sagaTimeoutMs;
  const flow = new Flow(context, record, deadline);
  try {
    record.outcome = await flow.run();
  } catch (error) {
    if (!(error instanceof FlowStop)) throw error;
    record.outcome = error.outcome;
    record.error = error.error;
  }
  record.endedAtMs = clock();
  return record;
}

class Flow {
  readonly #c: FlowContext;
  readonly #r: SagaRecord;
  readonly #deadline: number;

  constructor(context: FlowContext, record: SagaRecord, deadline: number) {
    this.#c = context;
    this.#r = record;
    this.#deadline = deadline;
  }

  async run(): Promise<SagaOutcome> {
    const { product } = this.#c;
    const checkout = await this.#expect('POST /checkout', 'POST', '/checkout', 'customer', {
      restaurantId: 'resto-1', deliveryAddress: '1 Bench Street', items: [{ productId: product.id, name: product.name, quantity: 1, unitPrice: product.unitPrice }],
    }, [201, 202]);
    const orderId = text(checkout.body.orderId);
    const sagaId = text(checkout.body.sagaId);
    const paymentId = text(checkout.body.paymentId);
    if (!orderId || !sagaId || !paymentId) throw this.#stop('rejected', 'http-5xx', 'POST /checkout', checkout.status, 'the checkout answer names no order, saga or payment');
    Object.assign(this.#r, { orderId, sagaId, paymentId });
    if (checkout.status === 202) {
      // The payment does not exist yet: the customer waits for it before paying, as a front end would.
      await this.#pollUntil('GET /payments/:id', `/payments/${paymentId}`, 'customer', (answer) => answer.status === 200, [404]);
    }
    const declines = this.#r.kind === 'decline';
    await this.#expect('POST /payments/:id/confirm', 'POST', `/payments/${paymentId}/confirm`, 'customer', { paymentMethod: declines ? this.#c.declineCard : 'pm_card_visa' }, declines ? [402] : [200, 202]);
    const order = await this.#pollUntil('GET /orders/:id', `/orders/${orderId}`, 'admin', (answer) => TERMINAL_ORDER.has(String(answer.body.status)));
    const reached = String(order.body.status);
    const saga = await this.#expect('GET /sagas/:id', 'GET', `/sagas/${sagaId}`, 'admin', undefined, [200]);
    this.#r.e2eMs = declines ? durationOf(saga.body, null) : durationOf(saga.body, 'confirm-order');
    if (declines) {
      if (reached !== 'PAYMENT_FAILED') throw this.#stop('unexpected', 'unexpected-outcome', null, null, `a declined card left the order ${reached}`);
      return 'declined';
    }
    if (reached !== 'CONFIRMED') throw this.#stop('unexpected', 'unexpected-outcome', null, null, `a paid checkout left the order ${reached}`);
    switch (this.#r.kind) {
      case 'checkout': return 'confirmed';
      case 'cancel': return this.#cancel(orderId);
      case 'full-refund': return this.#refund(orderId, product.unitPrice);
      case 'partial-refund': return this.#refund(orderId, { amount: Math.max(1, Math.floor(product.unitPrice.amount / 3)), currency: product.unitPrice.currency });
      case 'decline': throw new Error('unreachable: declines returned above');
    }
  }

  async #cancel(orderId: string): Promise<SagaOutcome> {
    await this.#expect('POST /orders/:id/cancel', 'POST', `/orders/${orderId}/cancel`, 'customer', { reason: 'bench: customer cancels' }, [202]);
    const order = await this.#pollUntil('GET /orders/:id', `/orders/${orderId}`, 'admin', (answer) => answer.body.status === 'REFUNDED' || answer.body.status === 'CANCELLED');
    const sagas = await this.#expect('GET /sagas?orderId', 'GET', `/sagas?orderId=${encodeURIComponent(orderId)}`, 'admin', undefined, [200]);
    const refund = (Array.isArray(sagas.body.sagas) ? sagas.body.sagas as Record<string, unknown>[] : []).find((saga) => saga.type !== 'checkout');
    if (refund) {
      this.#r.followUpSagaId = text(refund.id);
      this.#r.followUpMs = durationOf(refund, null);
    }
    return order.body.status === 'REFUNDED' ? 'refunded' : 'cancelled';
  }

  async #refund(orderId: string, amount: { amount: number; currency: string }): Promise<SagaOutcome> {
    const started = await this.#expect('POST /orders/:id/refunds', 'POST', `/orders/${orderId}/refunds`, 'admin', { amount, reason: 'bench: refund' }, [202]);
    const sagaId = text(started.body.sagaId);
    if (!sagaId) throw this.#stop('rejected', 'http-5xx', 'POST /orders/:id/refunds', started.status, 'the refund answer names no saga');
    this.#r.followUpSagaId = sagaId;
    const saga = await this.#pollUntil('GET /sagas/:id', `/sagas/${sagaId}`, 'admin', (answer) => ENDED_SAGA.has(String(answer.body.status)));
    this.#r.followUpMs = durationOf(saga.body, null);
    if (saga.body.status !== 'COMPLETED') throw this.#stop('unexpected', 'unexpected-outcome', null, null, `the refund saga ended ${String(saga.body.status)}`);
    return 'refunded';
  }

  async #call(route: string, method: 'GET' | 'POST', path: string, as: 'customer' | 'admin', body?: unknown): Promise<TimedAnswer> {
    if (this.#c.signal.aborted) throw this.#stop('aborted', 'aborted', route, null, 'the run was aborted');
    const answer = await this.#c.http.call(route, method, path, as === 'customer' ? this.#c.customerToken : this.#c.adminToken, body);
    this.#r.calls.push(answer.record);
    return answer;
  }

  async #expect(route: string, method: 'GET' | 'POST', path: string, as: 'customer' | 'admin', body: unknown, statuses: number[]): Promise<TimedAnswer> {
    const answer = await this.#call(route, method, path, as, body);
    if (statuses.includes(answer.status)) return answer;
    throw this.#refused(route, answer);
  }

  /** Polls with a growing pause until `done`; `waitOn` statuses (404 before a row exists) mean "not yet". */
  async #pollUntil(route: string, path: string, as: 'customer' | 'admin', done: (answer: TimedAnswer) => boolean, waitOn: number[] = []): Promise<TimedAnswer> {
    for (let pause = this.#c.poll.initialMs; ; pause = Math.min(this.#c.poll.maxMs, Math.round(pause * 1.5))) {
      const answer = await this.#call(route, 'GET', path, as);
      if (answer.status === 200 && done(answer)) return answer;
      if (answer.status !== 200 && !waitOn.includes(answer.status)) throw this.#refused(route, answer);
      if (Date.now() + pause > this.#deadline) throw this.#stop('timeout', 'timeout', route, answer.status, `not done within ${this.#c.sagaTimeoutMs} ms (last answer ${answer.status}${typeof answer.body.status === 'string' ? ` ${answer.body.status}` : ''})`);
      await abortableSleep(pause, this.#c.signal);
    }
  }

  #refused(route: string, answer: TimedAnswer): FlowStop {
    const { status, record } = answer;
    const error = typeof answer.body.error === 'object' && answer.body.error !== null ? answer.body.error as Record<string, unknown> : {};
    const message = record.failure ?? `${status} ${text(error.code) ?? ''} ${text(error.message) ?? ''}`.trim();
    if (this.#c.signal.aborted) return this.#stop('aborted', 'aborted', route, status, 'the run was aborted');
    const kind: ErrorKind = status === 0 ? 'no-answer' : status === 503 && record.retryAfterSeconds !== undefined ? 'overloaded-503' : status >= 500 ? 'http-5xx' : 'http-4xx';
    const stop = this.#stop('rejected', kind, route, status, message);
    if (record.retryAfterSeconds !== undefined) stop.error.retryAfterSeconds = record.retryAfterSeconds;
    return stop;
  }

  #stop(outcome: SagaOutcome, kind: ErrorKind, route: string | null, status: number | null, message: string): FlowStop {
    return new FlowStop(outcome, { kind, route, status, message });
  }
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

/** From the saga's creation to `step`'s success in its timeline (or to its last change when `step` is null). */
export function durationOf(saga: Record<string, unknown>, step: string | null): number | null {
  const created = Date.parse(String(saga.createdAt));
  if (!Number.isFinite(created)) return null;
  if (step === null) {
    const updated = Date.parse(String(saga.updatedAt));
    return Number.isFinite(updated) ? updated - created : null;
  }
  const timeline = Array.isArray(saga.timeline) ? saga.timeline as Record<string, unknown>[] : [];
  const entry = timeline.find((item) => item.step === step && item.kind === 'succeeded');
  const at = entry ? Date.parse(String(entry.at)) : Number.NaN;
  return Number.isFinite(at) ? at - created : null;
}

/** Resolves after `ms`, or at once when `signal` aborts (the caller checks the signal next). */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(() => { signal.removeEventListener('abort', onAbort); resolve(); }, ms);
    const onAbort = (): void => { clearTimeout(timer); resolve(); };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
