import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ago, type Api, type DeadLetter, type DeadLetterStatus, type ServiceDeadLetters } from '../api.ts';
import { useChanges, useCoalesced } from '../hooks.ts';

type Action = 'replay' | 'resolve' | 'discard';
type Letter = DeadLetter & { service: string };

/** How many of one key (topic or reason) are pending, summed over the services. */
function countsOf(services: readonly ServiceDeadLetters[], key: 'pendingByTopic' | 'pendingByReason'): [string, number][] {
  const counts = new Map<string, number>();
  for (const service of services) for (const [name, count] of Object.entries(service.statistics[key])) counts.set(name, (counts.get(name) ?? 0) + count);
  return [...counts.entries()].sort((a, b) => b[1] - a[1]);
}

export function DeadLettersPage({ api }: { api: Api }): JSX.Element {
  const [status, setStatus] = useState<DeadLetterStatus>('pending');
  const [topic, setTopic] = useState('');
  const [reason, setReason] = useState('');
  const [services, setServices] = useState<ServiceDeadLetters[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [progress, setProgress] = useState<string | null>(null);

  const reload = (): void => {
    api.get<{ services: ServiceDeadLetters[] }>(`/dead-letters?status=${status}&limit=500`)
      .then((answer) => { setServices(answer.services); setError(null); }, (failure: unknown) => { setError(String(failure)); });
  };
  const reloadSoon = useCoalesced(reload, 150);
  useChanges((change) => { if (change.kind === 'dead-letter') reloadSoon(); }, reload);
  useEffect(reload, [status]);

  const letters: Letter[] = services.flatMap((service) => service.deadLetters.map((letter) => ({ ...letter, service: service.service })))
    .filter((letter) => (!topic || letter.topic === topic) && (!reason || letter.reason === reason))
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt));

  const act = async (action: Action, targets: readonly Letter[]): Promise<void> => {
    let done = 0;
    const failures: string[] = [];
    for (const letter of targets) {
      setProgress(`${action}: ${done} of ${targets.length}`);
      try {
        await api.post(`/dead-letters/${encodeURIComponent(letter.service)}/${letter.id}/${action}`, { note: 'from the dashboard' });
      } catch (failure) {
        failures.push(`${letter.service}/${letter.id}: ${String(failure)}`);
      }
      done += 1;
    }
    setProgress(failures.length === 0 ? `${action}: ${done} done` : `${action}: ${done - failures.length} done, ${failures.length} failed`);
    setError(failures.length === 0 ? null : failures.join('; '));
    reload();
  };
  const topics = countsOf(services, 'pendingByTopic');
  const reasons = countsOf(services, 'pendingByReason');

  return (
    <section class="page dead-letters">
      <h2>Dead letters</h2>
      <div class="cards">
        <div class="card"><h4>Pending by topic</h4>
          <table class="compact"><tbody>{topics.map(([name, count]) => <tr key={name}><td><a href="#" onClick={(event) => { event.preventDefault(); setTopic(name); }}>{name}</a></td><td>{count}</td></tr>)}</tbody></table>
          {topics.length === 0 && <p class="empty">none</p>}
        </div>
        <div class="card"><h4>Pending by reason</h4>
          <table class="compact"><tbody>{reasons.map(([name, count]) => <tr key={name}><td><a href="#" onClick={(event) => { event.preventDefault(); setReason(name); }}>{name}</a></td><td>{count}</td></tr>)}</tbody></table>
          {reasons.length === 0 && <p class="empty">none</p>}
        </div>
      </div>
      <form class="filters" onSubmit={(event) => { event.preventDefault(); }}>
        <label>status <select name="status" value={status} onChange={(event) => { setStatus(event.currentTarget.value as DeadLetterStatus); }}>
          {(['pending', 'replayed', 'resolved', 'discarded'] as const).map((name) => <option key={name} value={name}>{name}</option>)}
        </select></label>
        <label>topic <select name="topic" value={topic} onChange={(event) => { setTopic(event.currentTarget.value); }}>
          <option value="">any</option>{[...new Set(services.flatMap((service) => service.deadLetters.map((letter) => letter.topic)))].map((name) => <option key={name} value={name}>{name}</option>)}
        </select></label>
        <label>reason <select name="reason" value={reason} onChange={(event) => { setReason(event.currentTarget.value); }}>
          <option value="">any</option>{[...new Set(services.flatMap((service) => service.deadLetters.map((letter) => letter.reason)))].map((name) => <option key={name} value={name}>{name}</option>)}
        </select></label>
        {status === 'pending' && letters.length > 0 && (
          <span class="bulk">
            <button type="button" data-testid="replay-all" onClick={() => { void act('replay', letters); }}>Replay all {letters.length}</button>
            <button type="button" onClick={() => { void act('resolve', letters); }}>Resolve all {letters.length}</button>
            <button type="button" class="danger" onClick={() => { if (window.confirm(`Discard ${letters.length} dead letters?`)) void act('discard', letters); }}>Discard all {letters.length}</button>
          </span>
        )}
      </form>
      {progress && <p class="progress" data-testid="dead-letter-progress">{progress}</p>}
      {error && <p class="error">{error}</p>}
      <table class="list" data-testid="dead-letter-list">
        <thead><tr><th>service</th><th>topic</th><th>key</th><th>reason</th><th>error</th><th>attempts</th><th>age</th><th></th></tr></thead>
        <tbody>
          {letters.map((letter) => (
            <tr key={`${letter.service}/${letter.id}`} data-testid="dead-letter-row" data-key={letter.key ?? ''} data-id={letter.id}>
              <td>{letter.service}</td><td>{letter.topic}</td><td class="mono">{letter.key ?? '—'}</td><td>{letter.reason}</td>
              <td class="detail" title={letter.error}>{letter.error}</td><td>{letter.attempts}</td><td>{ago(letter.createdAt)}</td>
              <td class="actions">{letter.status === 'pending' ? (
                <>
                  <button type="button" onClick={() => { void act('replay', [letter]); }}>Replay</button>
                  <button type="button" onClick={() => { void act('resolve', [letter]); }}>Resolve</button>
                  <button type="button" class="danger" onClick={() => { void act('discard', [letter]); }}>Discard</button>
                </>
              ) : letter.status}</td>
            </tr>
          ))}
          {letters.length === 0 && <tr><td colSpan={8} class="empty">no {status} dead letter{topic || reason ? ' matches' : ''}</td></tr>}
        </tbody>
      </table>
    </section>
  );
}
