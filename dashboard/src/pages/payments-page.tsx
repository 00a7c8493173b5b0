import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ago, formatMoney, formatTime, type Api, type GatewayErrors, type PaymentView } from '../api.ts';
import { useChanges, useCoalesced, useEvery } from '../hooks.ts';

const STATUSES = ['', 'PENDING', 'PROCESSING', 'COMPLETED', 'FAILED', 'CANCELLED', 'PARTIALLY_REFUNDED', 'REFUNDED'];

export function PaymentsPage({ api }: { api: Api }): JSX.Element {
  const [status, setStatus] = useState('');
  const [payments, setPayments] = useState<PaymentView[]>([]);
  const [gateway, setGateway] = useState<GatewayErrors | null>(null);
  const [error, setError] = useState<string | null>(null);

  const reload = (): void => {
    api.get<{ payments: PaymentView[] }>(`/payments?limit=200${status ? `&status=${status}` : ''}`)
      .then((answer) => { setPayments(answer.payments); setError(null); }, (failure: unknown) => { setError(String(failure)); });
    api.get<GatewayErrors>('/gateway-errors?limit=100').then(setGateway, (failure: unknown) => { setError(String(failure)); });
  };
  // Payments move with their sagas: a saga change rereads (coalesced); a slow timer catches refunds settled by webhook.
  const reloadSoon = useCoalesced(reload, 500);
  useChanges((change) => { if (change.kind === 'saga') reloadSoon(); }, reload);
  useEvery(reload, 10_000);
  useEffect(reload, [status]);
  const refunds = payments.flatMap((payment) => payment.refunds.map((refund) => ({ ...refund, paymentId: payment.id, orderId: payment.orderId })));

  return (
    <section class="page payments">
      <h2>Payments and refunds</h2>
      <form class="filters" onSubmit={(event) => { event.preventDefault(); }}>
        <label>status <select name="status" value={status} onChange={(event) => { setStatus(event.currentTarget.value); }}>
          {STATUSES.map((name) => <option key={name} value={name}>{name || 'any'}</option>)}
        </select></label>
      </form>
      {error && <p class="error">{error}</p>}
      <table class="list" data-testid="payment-list">
        <thead><tr><th>payment</th><th>order</th><th>customer</th><th>amount</th><th>status</th><th>refunded</th><th>failure</th><th>age</th></tr></thead>
        <tbody>
          {payments.map((payment) => (
            <tr key={payment.id} data-testid="payment-row">
              <td class="mono">{payment.id}</td><td class="mono">{payment.orderId}</td><td>{payment.customerId}</td><td>{formatMoney(payment.amount)}</td>
              <td><span class={`status ${payment.status}`}>{payment.status}</span></td>
              <td>{payment.refunded.amount > 0 ? formatMoney(payment.refunded) : '—'}{payment.refundPending.amount > 0 ? ` (+${formatMoney(payment.refundPending)} pending)` : ''}</td>
              <td>{payment.failure ? `${payment.failure.code}${payment.failure.declineCode ? `/${payment.failure.declineCode}` : ''}` : ''}</td><td>{ago(payment.createdAt)}</td>
            </tr>
          ))}
          {payments.length === 0 && <tr><td colSpan={8} class="empty">no payment</td></tr>}
        </tbody>
      </table>
      <h3>Refunds</h3>
      <table class="list" data-testid="refund-list">
        <thead><tr><th>refund</th><th>payment</th><th>amount</th><th>status</th><th>reason</th><th>at</th></tr></thead>
        <tbody>
          {refunds.map((refund) => (
            <tr key={refund.id}><td class="mono">{refund.id}</td><td class="mono">{refund.paymentId}</td><td>{formatMoney(refund.amount)}</td><td>{refund.status}{refund.failureReason ? ` · ${refund.failureReason}` : ''}</td><td>{refund.reason}</td><td>{formatTime(refund.createdAt)}</td></tr>
          ))}
          {refunds.length === 0 && <tr><td colSpan={6} class="empty">no refund among these payments</td></tr>}
        </tbody>
      </table>
      <h3>Gateway: failed calls <span class={`status breaker-${gateway?.breaker ?? 'unknown'}`} data-testid="breaker">breaker {gateway?.breaker ?? '…'}</span></h3>
      <div class="cards">
        {(gateway?.statistics ?? []).map((statistic) => (
          <div class="card" key={`${statistic.operation}/${statistic.errorType}/${statistic.errorCode ?? ''}`}>
            <h4>{statistic.operation}</h4><p>{statistic.errorType}{statistic.errorCode ? ` · ${statistic.errorCode}` : ''}<br /><b>{statistic.count}</b> · last {formatTime(statistic.lastAt)}</p>
          </div>
        ))}
      </div>
      <table class="list" data-testid="gateway-error-list">
        <thead><tr><th>at</th><th>operation</th><th>payment</th><th>attempt</th><th>type</th><th>HTTP</th><th>message</th><th>retryable</th></tr></thead>
        <tbody>
          {(gateway?.errors ?? []).map((failure) => (
            <tr key={failure.id}><td>{formatTime(failure.occurredAt)}</td><td>{failure.operation}</td><td class="mono">{failure.paymentId ?? '—'}</td><td>{failure.attempt}</td>
              <td>{failure.errorType}{failure.errorCode ? ` · ${failure.errorCode}` : ''}{failure.declineCode ? ` · ${failure.declineCode}` : ''}</td><td>{failure.httpStatus ?? '—'}</td><td class="detail">{failure.message}</td><td>{failure.retryable ? 'yes' : 'no'}</td></tr>
          ))}
          {(gateway?.errors.length ?? 0) === 0 && <tr><td colSpan={8} class="empty">no failed gateway call</td></tr>}
        </tbody>
      </table>
    </section>
  );
}
