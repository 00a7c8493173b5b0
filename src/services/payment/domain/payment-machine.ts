/**
 * The payment state machine of SPEC §4, as a pure function:
 *
 *   PENDING → PROCESSING → COMPLETED | FAILED
 *   PENDING → CANCELLED
 *   COMPLETED → PARTIALLY_REFUNDED → REFUNDED   (or COMPLETED → REFUNDED at once)
 *
 * Two additions, both forced by the gateway (see docs/payments.md): PROCESSING →
 * CANCELLED (an intent waiting for 3-D Secure can still be cancelled) and
 * PENDING → FAILED (the gateway refused to create the intent at all).
 * Refund bookkeeping lives here too, so "never refund more than was captured"
 * is checked by the same pure function that moves the status.
 */
export const PAYMENT_STATUSES = ['PENDING', 'PROCESSING', 'COMPLETED', 'FAILED', 'CANCELLED', 'PARTIALLY_REFUNDED', 'REFUNDED'] as const;
export type PaymentStatus = typeof PAYMENT_STATUSES[number];

export const TERMINAL_STATUSES: ReadonlySet<PaymentStatus> = new Set(['FAILED', 'CANCELLED', 'REFUNDED']);

export interface PaymentState {
  status: PaymentStatus;
  /** Captured amount in minor units (the intent's amount once COMPLETED). */
  amount: number;
  /** Sum of succeeded refunds. */
  refunded: number;
  /** Sum of refunds asked of the gateway and not settled yet. */
  refundPending: number;
}

export type PaymentSignal =
  | { type: 'SUBMITTED' }
  | { type: 'SUCCEEDED' }
  | { type: 'FAILED' }
  | { type: 'CANCELLED' }
  | { type: 'REFUND_REQUESTED'; amount: number }
  | { type: 'REFUND_SUCCEEDED'; amount: number }
  | { type: 'REFUND_FAILED'; amount: number };

export type PaymentSignalType = PaymentSignal['type'];
export const PAYMENT_SIGNAL_TYPES: readonly PaymentSignalType[] = ['SUBMITTED', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'REFUND_REQUESTED', 'REFUND_SUCCEEDED', 'REFUND_FAILED'];

/** What the caller must do after a transition: each is one event published through the outbox. */
export type PaymentEffect =
  | { type: 'publish'; event: 'payment.processing' | 'payment.completed' | 'payment.failed' | 'payment.cancelled' | 'payment.refund-initiated' | 'payment.refund-failed' }
  | { type: 'publish'; event: 'payment.refunded'; amount: number; totalRefunded: number; fullyRefunded: boolean };

export type TransitionRejection =
  | { code: 'illegal_transition'; message: string }
  | { code: 'invalid_refund_amount'; message: string }
  | { code: 'refund_exceeds_remaining'; message: string; remaining: number };

export type TransitionResult =
  | { ok: true; state: PaymentState; effects: PaymentEffect[] }
  | { ok: false; rejection: TransitionRejection };

const LIFECYCLE: Partial<Record<PaymentStatus, Partial<Record<PaymentSignalType, PaymentStatus>>>> = {
  PENDING: { SUBMITTED: 'PROCESSING', FAILED: 'FAILED', CANCELLED: 'CANCELLED' },
  PROCESSING: { SUCCEEDED: 'COMPLETED', FAILED: 'FAILED', CANCELLED: 'CANCELLED' },
};

const LIFECYCLE_EVENT = {
  PROCESSING: 'payment.processing', COMPLETED: 'payment.completed', FAILED: 'payment.failed', CANCELLED: 'payment.cancelled',
} as const;

const REFUNDABLE: ReadonlySet<PaymentStatus> = new Set(['COMPLETED', 'PARTIALLY_REFUNDED']);

/** What can still be asked back: captured − refunded − refunds in flight. */
export function refundableAmount(state: PaymentState): number {
  return REFUNDABLE.has(state.status) ? state.amount - state.refunded - state.refundPending : 0;
}

function illegal(state: PaymentState, signal: PaymentSignal): TransitionResult {
  return { ok: false, rejection: { code: 'illegal_transition', message: `a ${state.status} payment cannot take ${signal.type}` } };
}

function refundTransition(state: PaymentState, signal: Extract<PaymentSignal, { amount: number }>): TransitionResult {
  if (!REFUNDABLE.has(state.status)) return illegal(state, signal);
  if (!Number.isSafeInteger(signal.amount) || signal.amount <= 0) {
    return { ok: false, rejection: { code: 'invalid_refund_amount', message: `refund amount must be a positive integer of minor units, got ${signal.amount}` } };
  }
  switch (signal.type) {
    case 'REFUND_REQUESTED': {
      if (!REFUNDABLE.has(state.status)) return illegal(state, signal);
      const remaining = refundableAmount(state);
      if (signal.amount > remaining) {
        return { ok: false, rejection: { code: 'refund_exceeds_remaining', remaining, message: `refund of ${signal.amount} exceeds the ${remaining} that remains refundable` } };
      }
      return { ok: true, state: { ...state, refundPending: state.refundPending + signal.amount }, effects: [{ type: 'publish', event: 'payment.refund-initiated' }] };
    }
    case 'REFUND_SUCCEEDED': {
      if (!REFUNDABLE.has(state.status) || signal.amount > state.refundPending) return illegal(state, signal);
      const refunded = state.refunded + signal.amount;
      const fullyRefunded = refunded === state.amount;
      return {
        ok: true,
        state: { ...state, refunded, refundPending: state.refundPending - signal.amount, status: fullyRefunded ? 'REFUNDED' : 'PARTIALLY_REFUNDED' },
        effects: [{ type: 'publish', event: 'payment.refunded', amount: signal.amount, totalRefunded: refunded, fullyRefunded }],
      };
    }
    case 'REFUND_FAILED':
      if (!REFUNDABLE.has(state.status) || signal.amount > state.refundPending) return illegal(state, signal);
      // Announced: a saga waiting for this refund must learn that it will not come (and not tell anyone it did).
      return { ok: true, state: { ...state, refundPending: state.refundPending - signal.amount }, effects: [{ type: 'publish', event: 'payment.refund-failed' }] };
  }
}

export function transition(state: PaymentState, signal: PaymentSignal): TransitionResult {
  if (signal.type === 'REFUND_REQUESTED' || signal.type === 'REFUND_SUCCEEDED' || signal.type === 'REFUND_FAILED') {
    return refundTransition(state, signal);
  }
  const next = LIFECYCLE[state.status]?.[signal.type];
  if (!next) return illegal(state, signal);
  return { ok: true, state: { ...state, status: next }, effects: [{ type: 'publish', event: LIFECYCLE_EVENT[next as keyof typeof LIFECYCLE_EVENT] }] };
}

/** The gateway's view of an intent, reduced to what moves a payment. */
export type GatewayOutcome = 'awaiting' | 'in_progress' | 'succeeded' | 'failed' | 'cancelled';

const OUTCOME_PATH: Record<GatewayOutcome, readonly PaymentSignalType[]> = {
  awaiting: [],
  in_progress: ['SUBMITTED'],
  succeeded: ['SUBMITTED', 'SUCCEEDED'],
  failed: ['SUBMITTED', 'FAILED'],
  cancelled: ['CANCELLED'],
};

/**
 * Brings a payment up to what the gateway reports, whatever arrived before:
 * a webhook, a confirm response or the reconciler may each report an outcome,
 * in any order and more than once. Steps already taken are skipped, so an old
 * or repeated report changes nothing (terminal states absorb).
 */
export function settle(state: PaymentState, outcome: GatewayOutcome): { state: PaymentState; effects: PaymentEffect[] } {
  let current = state;
  const effects: PaymentEffect[] = [];
  for (const type of OUTCOME_PATH[outcome]) {
    const result = transition(current, { type } as PaymentSignal);
    if (!result.ok) continue;
    current = result.state;
    effects.push(...result.effects);
  }
  return { state: current, effects };
}
