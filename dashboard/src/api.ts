// The dashboard's whole view of paysaga: its public HTTP API (the same routes the CLI and clients use).
export interface Money {
  amount: number;
  currency: string;
}

export type SagaStatus = 'RUNNING' | 'COMPENSATING' | 'COMPLETED' | 'COMPENSATED' | 'FAILED';
export const SAGA_STATUSES: readonly SagaStatus[] = ['RUNNING', 'COMPENSATING', 'COMPLETED', 'COMPENSATED', 'FAILED'];

export interface SagaSummary {
  id: string;
  type: string;
  orderId: string;
  status: SagaStatus;
  customerId: string | null;
  total: Money | null;
  failureReason: string | null;
  resends: number;
  deadlineAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface TimelineEntry {
  step: string;
  kind: string;
  detail: unknown;
  at: string;
}

export interface SagaView {
  id: string;
  type: string;
  orderId: string;
  status: SagaStatus;
  step: string | null;
  data: unknown;
  failureReason: string | null;
  resends: number;
  stuck: boolean;
  deadlineAt: string | null;
  createdAt: string;
  updatedAt: string;
  timeline: TimelineEntry[];
}

export interface OrderView {
  orderId: string;
  status: string;
  customerId: string;
  restaurantId: string;
  total: Money;
  deliveryAddress: string;
  createdAt: string;
  history: { status: string; at?: string; [key: string]: unknown }[];
}

export interface RefundView {
  id: string;
  amount: Money;
  reason: string;
  status: string;
  failureReason: string | null;
  createdAt: string;
}

export interface PaymentView {
  id: string;
  orderId: string;
  customerId: string;
  amount: Money;
  status: string;
  failure: { code: string; declineCode: string | null; reason: string } | null;
  refunded: Money;
  refundPending: Money;
  refunds: RefundView[];
  createdAt: string;
  updatedAt: string;
}

export interface DeliveryView {
  id: string;
  orderId: string;
  status: string;
  courierId: string | null;
  address: string;
}

export interface GatewayError {
  id: string;
  operation: string;
  paymentId: string | null;
  refundId: string | null;
  attempt: number;
  errorType: string;
  errorCode: string | null;
  declineCode: string | null;
  httpStatus: number | null;
  message: string;
  retryable: boolean;
  occurredAt: string;
}

export interface GatewayErrorStatistic {
  operation: string;
  errorType: string;
  errorCode: string | null;
  count: number;
  lastAt: string;
}

export interface GatewayErrors {
  breaker: string;
  statistics: GatewayErrorStatistic[];
  errors: GatewayError[];
}

export type DeadLetterStatus = 'pending' | 'replayed' | 'resolved' | 'discarded';

export interface DeadLetter {
  id: string;
  consumerGroup: string;
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  eventType: string | null;
  reason: string;
  error: string;
  attempts: number;
  status: DeadLetterStatus;
  createdAt: string;
  updatedAt: string;
}

export interface ServiceDeadLetters {
  service: string;
  statistics: { byStatus: Record<string, number>; pendingByTopic: Record<string, number>; pendingByReason: Record<string, number> };
  deadLetters: DeadLetter[];
}

export interface MetricSample {
  services: string;
  name: string;
  labels: Record<string, string | number>;
  value: number;
}

export class ApiFailure extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** A client of the API signed in with one bearer token; every answer that is not 2xx is an ApiFailure. */
export class Api {
  readonly #token: string;

  constructor(token: string) {
    this.#token = token;
  }

  get token(): string {
    return this.#token;
  }

  async get<T>(path: string): Promise<T> {
    return this.#call<T>('GET', path);
  }

  async post<T>(path: string, body: unknown = {}): Promise<T> {
    return this.#call<T>('POST', path, body);
  }

  async #call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(path, {
      method,
      headers: { authorization: `Bearer ${this.#token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    const parsed = text === '' ? {} : JSON.parse(text) as unknown;
    if (!response.ok) {
      const error = (parsed as { error?: { code?: string; message?: string } }).error;
      throw new ApiFailure(response.status, error?.code ?? 'http_error', error?.message ?? `${method} ${path} answered ${response.status}`);
    }
    return parsed as T;
  }

  sagas(filter: Record<string, string>): Promise<{ sagas: SagaSummary[] }> {
    return this.get(`/sagas?${new URLSearchParams(filter).toString()}`);
  }

  saga(id: string): Promise<SagaView> {
    return this.get(`/sagas/${encodeURIComponent(id)}`);
  }
}

export function formatMoney(money: Money | null | undefined): string {
  if (!money) return '—';
  return `${(money.amount / 100).toFixed(2)} ${money.currency}`;
}

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  return new Date(iso).toLocaleTimeString(undefined, { hour12: false });
}

export function ago(iso: string, now: number = Date.now()): string {
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3_600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 86_400) return `${Math.round(seconds / 3_600)} h`;
  return `${Math.round(seconds / 86_400)} d`;
}
