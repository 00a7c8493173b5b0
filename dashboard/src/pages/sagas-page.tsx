import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ago, formatMoney, SAGA_STATUSES, type Api, type DeliveryView, type OrderView, type PaymentView, type SagaSummary, type SagaView } from '../api.ts';
import type { SagaChange } from '../change-stream.ts';
import { SagaTimeline } from '../components/saga-timeline.tsx';
import { useChanges, useCoalesced } from '../hooks.ts';

export interface SagaFilter {
  status: string;
  type: string;
  customerId: string;
  age: string;
  stuck: boolean;
}

/** The ages the filter offers, as the API's query (started within, or before, so long ago). */
const AGES: Record<string, Record<string, string>> = {
  any: {}, '< 5 min': { newerThanSeconds: '300' }, '< 1 h': { newerThanSeconds: '3600' }, '> 1 h': { olderThanSeconds: '3600' }, '> 1 day': { olderThanSeconds: '86400' },
};

export function queryOf(filter: SagaFilter): Record<string, string> {
  return {
    limit: '200', ...(filter.status ? { status: filter.status } : {}), ...(filter.type ? { type: filter.type } : {}),
    ...(filter.customerId ? { customerId: filter.customerId } : {}), ...(AGES[filter.age] ?? {}), ...(filter.stuck ? { stuck: 'true' } : {}),
  };
}

/** Whether a saga the stream announced belongs in the list as filtered (age and stuck are the server's to judge: reread). */
function fits(change: SagaChange, filter: SagaFilter): boolean | 'ask' {
  if (filter.status && change.status !== filter.status) return false;
  if (filter.type && change.type !== filter.type) return false;
  if (filter.customerId && change.customerId !== filter.customerId) return false;
  if (filter.stuck || (filter.age !== 'any' && !filter.age.startsWith('<'))) return 'ask';
  return true;
}

interface Beside {
  order: OrderView | null;
  payments: PaymentView[];
  deliveries: DeliveryView[];
}

export function SagasPage({ api, initialSaga }: { api: Api; initialSaga: string | null }): JSX.Element {
  const [filter, setFilter] = useState<SagaFilter>({ status: '', type: '', customerId: '', age: 'any', stuck: false });
  const [sagas, setSagas] = useState<SagaSummary[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [selected, setSelected] = useState<string | null>(initialSaga);
  const [detail, setDetail] = useState<SagaView | null>(null);
  const [beside, setBeside] = useState<Beside | null>(null);
  const [now, setNow] = useState(Date.now());

  const reload = (): void => {
    api.sagas(queryOf(filter)).then((answer) => { setSagas(answer.sagas); setError(null); }, (failure: unknown) => { setError(String(failure)); });
  };
  const reloadSoon = useCoalesced(reload, 300);
  const loadDetail = (id: string): void => {
    api.saga(id).then((view) => { setDetail(view); setNow(Date.now()); }, (failure: unknown) => { setError(String(failure)); });
  };
  const loadDetailSoon = useCoalesced(() => { if (selected) loadDetail(selected); }, 50);

  useEffect(reload, [filter]);
  useEffect(() => {
    setDetail(null);
    setBeside(null);
    if (!selected) return;
    loadDetail(selected);
    const url = new URL(window.location.href);
    url.searchParams.set('saga', selected);
    window.history.replaceState(null, '', url);
  }, [selected]);
  // The order, its payment and its delivery beside the timeline, reread when the saga moves.
  useEffect(() => {
    if (!detail) return;
    const orderId = encodeURIComponent(detail.orderId);
    void Promise.all([
      api.get<OrderView>(`/orders/${orderId}`).catch(() => null), // not logged: an order not created yet shows as none
      api.get<{ payments: PaymentView[] }>(`/payments?orderId=${orderId}`).then((answer) => answer.payments, () => []),
      api.get<{ deliveries: DeliveryView[] }>(`/deliveries?orderId=${orderId}`).then((answer) => answer.deliveries, () => []),
    ]).then(([order, payments, deliveries]) => { setBeside({ order, payments, deliveries }); });
  }, [detail?.id, detail?.updatedAt]);

  useChanges((change) => {
    if (change.kind !== 'saga') return;
    if (change.id === selected) loadDetailSoon();
    const verdict = fits(change, filter);
    if (verdict === 'ask') { reloadSoon(); return; }
    setSagas((list) => {
      const index = list.findIndex((saga) => saga.id === change.id);
      if (index >= 0) {
        if (!verdict) return list.filter((saga) => saga.id !== change.id);
        const next = [...list];
        next[index] = { ...list[index] as SagaSummary, status: change.status as SagaSummary['status'], updatedAt: change.updatedAt };
        return next;
      }
      if (!verdict) return list;
      const added: SagaSummary = {
        id: change.id, type: change.type, orderId: change.orderId, status: change.status as SagaSummary['status'], customerId: change.customerId,
        total: null, failureReason: null, resends: 0, deadlineAt: null, createdAt: change.updatedAt, updatedAt: change.updatedAt,
      };
      return [added, ...list];
    });
    // A saga new to the list came with what the stream knows; the reread fills in its total and deadline.
    if (verdict && !sagas.some((saga) => saga.id === change.id)) reloadSoon();
  }, reload);

  const set = (patch: Partial<SagaFilter>): void => { setFilter({ ...filter, ...patch }); };
  return (
    <section class="page sagas">
      <h2>Sagas</h2>
      <form class="filters" onSubmit={(event) => { event.preventDefault(); }}>
        <label>state <select name="status" value={filter.status} onChange={(event) => { set({ status: event.currentTarget.value }); }}>
          <option value="">any</option>{SAGA_STATUSES.map((status) => <option key={status} value={status}>{status}</option>)}
        </select></label>
        <label>type <select name="type" value={filter.type} onChange={(event) => { set({ type: event.currentTarget.value }); }}>
          <option value="">any</option>{['checkout', 'cancellation-refund', 'partial-refund'].map((type) => <option key={type} value={type}>{type}</option>)}
        </select></label>
        <label>age <select name="age" value={filter.age} onChange={(event) => { set({ age: event.currentTarget.value }); }}>
          {Object.keys(AGES).map((age) => <option key={age} value={age}>{age}</option>)}
        </select></label>
        <label>customer <input name="customerId" value={filter.customerId} placeholder="cust-1" onChange={(event) => { set({ customerId: event.currentTarget.value.trim() }); }} /></label>
        <label class="check"><input type="checkbox" name="stuck" checked={filter.stuck} onChange={(event) => { set({ stuck: event.currentTarget.checked }); }} /> stuck only</label>
      </form>
      {error && <p class="error">{error}</p>}
      <div class="split">
        <table class="list" data-testid="saga-list">
          <thead><tr><th>saga</th><th>type</th><th>state</th><th>customer</th><th>total</th><th>age</th></tr></thead>
          <tbody>
            {sagas.map((saga) => (
              <tr key={saga.id} data-testid="saga-row" data-saga={saga.id} class={saga.id === selected ? 'selected' : ''} onClick={() => { setSelected(saga.id); }}>
                <td class="mono">{saga.id}</td><td>{saga.type}</td><td><span class={`status ${saga.status}`}>{saga.status}</span>{saga.resends > 0 ? ` ↻${saga.resends}` : ''}</td>
                <td>{saga.customerId ?? '—'}</td><td>{formatMoney(saga.total)}</td><td>{ago(saga.createdAt, now)}</td>
              </tr>
            ))}
            {sagas.length === 0 && <tr><td colSpan={6} class="empty">no saga matches</td></tr>}
          </tbody>
        </table>
        <div class="detail-pane">
          {detail ? <SagaDetail saga={detail} beside={beside} now={now} /> : <p class="empty">{selected ? 'loading…' : 'choose a saga to see its timeline'}</p>}
        </div>
      </div>
    </section>
  );
}

function SagaDetail({ saga, beside, now }: { saga: SagaView; beside: Beside | null; now: number }) {
  return (
    <div data-testid="saga-detail">
      <h3 class="mono">{saga.id} <span class={`status ${saga.status}`}>{saga.status}</span></h3>
      <p>{saga.type} · order <span class="mono">{saga.orderId}</span> · step {saga.step ?? '—'}{saga.failureReason ? ` · ${saga.failureReason}` : ''}{saga.stuck ? ' · stuck (resent)' : ''}</p>
      <SagaTimeline saga={saga} now={now} />
      <div class="beside">
        <div class="card" data-testid="beside-order">
          <h4>Order</h4>
          {beside?.order ? <p>{beside.order.status} · {formatMoney(beside.order.total)} · {beside.order.customerId} at {beside.order.restaurantId}<br />{beside.order.deliveryAddress}</p> : <p class="empty">none yet</p>}
        </div>
        <div class="card" data-testid="beside-payment">
          <h4>Payment</h4>
          {beside && beside.payments.length > 0 ? beside.payments.map((payment) => (
            <p key={payment.id}><span class="mono">{payment.id}</span><br />{payment.status} · {formatMoney(payment.amount)}{payment.refunded.amount > 0 ? ` · refunded ${formatMoney(payment.refunded)}` : ''}{payment.failure ? ` · ${payment.failure.reason}` : ''}</p>
          )) : <p class="empty">none yet</p>}
        </div>
        <div class="card" data-testid="beside-delivery">
          <h4>Delivery</h4>
          {beside && beside.deliveries.length > 0 ? beside.deliveries.map((delivery) => (
            <p key={delivery.id}><span class="mono">{delivery.id}</span><br />{delivery.status}{delivery.courierId ? ` · ${delivery.courierId}` : ''}</p>
          )) : <p class="empty">none yet</p>}
        </div>
      </div>
    </div>
  );
}
