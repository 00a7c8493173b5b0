import type { JSX } from 'preact';
import { useRef, useState } from 'preact/hooks';
import { ago, formatMoney, type Api, type MetricSample, type SagaSummary } from '../api.ts';
import { TimeChart } from '../components/time-chart.tsx';
import { useEvery } from '../hooks.ts';

interface Reading {
  at: number;
  samples: MetricSample[];
}

const SAMPLE_EVERY_MS = 3_000;
const KEEP = 200;

function sum(samples: readonly MetricSample[], name: string, where: (labels: MetricSample['labels']) => boolean = () => true): number {
  return samples.filter((sample) => sample.name === name && where(sample.labels)).reduce((total, sample) => total + sample.value, 0);
}

/** Per second between consecutive readings of a counter (null across a process restart, where the counter fell). */
function rates(readings: readonly Reading[], count: (samples: readonly MetricSample[]) => number): (number | null)[] {
  return readings.map((reading, index) => {
    const before = readings[index - 1];
    if (!before) return null;
    const delta = count(reading.samples) - count(before.samples);
    return delta < 0 ? null : delta / ((reading.at - before.at) / 1000);
  });
}

export function MetricsPage({ api }: { api: Api }): JSX.Element {
  const readings = useRef<Reading[]>([]);
  const [latest, setLatest] = useState<Reading | null>(null);
  const [stuck, setStuck] = useState<SagaSummary[]>([]);
  const [error, setError] = useState<string | null>(null);

  useEvery(() => {
    api.get<{ samples: MetricSample[] }>('/metrics/summary').then((answer) => {
      const reading = { at: Date.now(), samples: answer.samples };
      readings.current = [...readings.current, reading].slice(-KEEP);
      setLatest(reading);
      setError(null);
    }, (failure: unknown) => { setError(String(failure)); });
    api.sagas({ stuck: 'true', limit: '50' }).then((answer) => { setStuck(answer.sagas); }, (failure: unknown) => { setError(String(failure)); });
  }, SAMPLE_EVERY_MS);

  const history = readings.current;
  const times = history.map((reading) => reading.at / 1000);
  const samples = latest?.samples ?? [];
  const lag = samples.filter((sample) => sample.name === 'paysaga_consumer_lag')
    .sort((a, b) => `${a.labels.group}/${a.labels.topic}/${a.labels.partition}`.localeCompare(`${b.labels.group}/${b.labels.topic}/${b.labels.partition}`));
  const money = samples.filter((sample) => sample.name === 'paysaga_money_at_risk_minor_units');
  const active = samples.filter((sample) => sample.name === 'paysaga_sagas_active' && sample.value > 0);
  const stuckCounts = samples.filter((sample) => sample.name === 'paysaga_sagas_stuck' && sample.value > 0);
  const pendingLetters = sum(samples, 'paysaga_dead_letters_pending');
  const groups = [...new Set(lag.map((sample) => String(sample.labels.group)))];

  return (
    <section class="page metrics">
      <h2>Health</h2>
      {error && <p class="error">{error}</p>}
      <div class="cards">
        <div class="card big" data-testid="money-at-risk"><h4>Money at risk</h4>
          {money.length === 0 ? <p><b>0</b></p> : money.map((sample) => <p key={String(sample.labels.currency)}><b>{formatMoney({ amount: sample.value, currency: String(sample.labels.currency) })}</b></p>)}
          <small>in checkouts that captured or may capture and have not ended</small>
        </div>
        <div class="card big" data-testid="stuck-count"><h4>Stuck sagas</h4><p><b>{stuckCounts.reduce((total, sample) => total + sample.value, 0)}</b></p>
          <small>{stuckCounts.map((sample) => `${sample.labels.type}: ${sample.value} ${sample.labels.reason}`).join(' · ') || 'none past their deadline or idle'}</small></div>
        <div class="card big"><h4>Active sagas</h4><p><b>{active.reduce((total, sample) => total + sample.value, 0)}</b></p>
          <small>{active.map((sample) => `${sample.labels.type} ${sample.labels.status}: ${sample.value}`).join(' · ')}</small></div>
        <div class="card big"><h4>Dead letters pending</h4><p><b>{pendingLetters}</b></p></div>
        <div class="card big"><h4>Consumer lag</h4><p><b>{sum(samples, 'paysaga_consumer_lag')}</b></p><small>records, all groups</small></div>
      </div>
      <div class="charts">
        <TimeChart testId="chart-throughput" title="Throughput (events/s)" times={times} series={[
          { label: 'consumed', values: rates(history, (s) => sum(s, 'payment_events_consumed_total')) },
          { label: 'published', values: rates(history, (s) => sum(s, 'payment_events_published_total')) },
        ]} />
        <TimeChart testId="chart-outcomes" title="Saga outcomes (per s)" times={times} series={[
          { label: 'started', values: rates(history, (s) => sum(s, 'paysaga_sagas_started_total')) },
          { label: 'completed', values: rates(history, (s) => sum(s, 'paysaga_sagas_completed_total')) },
          { label: 'compensated', values: rates(history, (s) => sum(s, 'paysaga_sagas_compensated_total')) },
          { label: 'failed', values: rates(history, (s) => sum(s, 'paysaga_sagas_failed_total')) },
        ]} />
        <TimeChart testId="chart-lag" title="Consumer lag by group (records)" times={times} series={groups.map((group) => ({
          label: group, values: history.map((reading) => sum(reading.samples, 'paysaga_consumer_lag', (labels) => labels.group === group)),
        }))} />
      </div>
      <h3>Consumer lag per group and partition</h3>
      <table class="list compact" data-testid="lag-table">
        <thead><tr><th>group</th><th>topic</th><th>partition</th><th>lag</th></tr></thead>
        <tbody>
          {lag.map((sample) => <tr key={`${sample.labels.group}/${sample.labels.topic}/${sample.labels.partition}`}><td>{sample.labels.group}</td><td>{sample.labels.topic}</td><td>{sample.labels.partition}</td><td class={sample.value > 0 ? 'warn' : ''}>{sample.value}</td></tr>)}
          {lag.length === 0 && <tr><td colSpan={4} class="empty">no lag reported yet (the first reading takes a moment)</td></tr>}
        </tbody>
      </table>
      <h3>Stuck sagas</h3>
      <table class="list compact" data-testid="stuck-list">
        <thead><tr><th>saga</th><th>state</th><th>resends</th><th>deadline</th><th>last change</th></tr></thead>
        <tbody>
          {stuck.map((saga) => <tr key={saga.id}><td class="mono"><a href={`/dashboard/sagas?saga=${encodeURIComponent(saga.id)}`}>{saga.id}</a></td><td>{saga.status}</td><td>{saga.resends}</td><td>{saga.deadlineAt ?? '—'}</td><td>{ago(saga.updatedAt)} ago</td></tr>)}
          {stuck.length === 0 && <tr><td colSpan={5} class="empty">no stuck saga</td></tr>}
        </tbody>
      </table>
    </section>
  );
}
