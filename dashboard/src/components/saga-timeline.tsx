import type { JSX } from 'preact';
import type { SagaView, TimelineEntry } from '../api.ts';
import { formatTime } from '../api.ts';

type Mark = 'sent' | 'answered' | 'refused' | 'waiting' | 'compensation-sent' | 'compensated' | 'note' | 'end';

/** What a step-log kind means on the timeline. */
export function markOf(kind: string): Mark {
  switch (kind) {
    case 'command-sent': case 'command-resent': return 'sent';
    case 'waiting': return 'waiting';
    case 'succeeded': case 'event': case 'skipped': return 'answered';
    case 'failed': case 'timeout': case 'gave-up': case 'abandoned': case 'compensation-failed': case 'compensation-abandoned': return 'refused';
    case 'compensation-sent': case 'compensation-resent': return 'compensation-sent';
    case 'compensated': return 'compensated';
    case 'started': case 'completed': case 'compensated-all': return 'end';
    default: return 'note';
  }
}

const COLOURS: Record<Mark, string> = {
  sent: '#2563eb', waiting: '#64748b', answered: '#16a34a', refused: '#dc2626',
  'compensation-sent': '#9333ea', compensated: '#9333ea', note: '#a16207', end: '#0f172a',
};

export interface StepRow {
  step: string;
  entries: TimelineEntry[];
  sentAt: number | null;
  answeredAt: number | null;
  compensationSentAt: number | null;
  compensatedAt: number | null;
}

/** The timeline's rows: one per step in the order the saga reached them, with when it was sent, answered and compensated. */
export function stepRows(timeline: readonly TimelineEntry[]): StepRow[] {
  const rows = new Map<string, StepRow>();
  for (const entry of timeline) {
    const row = rows.get(entry.step) ?? { step: entry.step, entries: [], sentAt: null, answeredAt: null, compensationSentAt: null, compensatedAt: null };
    row.entries.push(entry);
    const at = Date.parse(entry.at);
    const mark = markOf(entry.kind);
    if ((mark === 'sent' || mark === 'waiting') && row.sentAt === null) row.sentAt = at;
    if (mark === 'answered' || mark === 'refused') row.answeredAt ??= at;
    if (mark === 'compensation-sent') row.compensationSentAt ??= at;
    if (mark === 'compensated') row.compensatedAt = at;
    rows.set(entry.step, row);
  }
  return [...rows.values()];
}

const LABEL = 150;
const WIDTH = 820;
const ROW = 28;

/**
 * A saga's step log drawn as a timeline: a row per step, a bar from the
 * command (or the wait) to its answer, the compensation in purple, and the
 * deadline as a dashed line (or an arrow when it lies far ahead).
 */
export function SagaTimeline({ saga, now }: { saga: SagaView; now: number }): JSX.Element {
  const rows = stepRows(saga.timeline);
  const start = Date.parse(saga.createdAt);
  const times = saga.timeline.map((entry) => Date.parse(entry.at));
  const active = saga.status === 'RUNNING' || saga.status === 'COMPENSATING';
  const last = Math.max(start + 1_000, ...times, active ? now : start);
  const deadline = saga.deadlineAt === null ? null : Date.parse(saga.deadlineAt);
  // A deadline minutes ahead would squash the steps into a corner: drawn at the edge, with how far it is.
  const deadlineToScale = deadline !== null && deadline - start <= 3 * (last - start);
  const end = deadlineToScale && deadline !== null ? Math.max(last, deadline) : last;
  const span = end - start;
  const x = (at: number): number => LABEL + ((at - start) / span) * (WIDTH - LABEL - 20);
  const height = rows.length * ROW + 40;
  return (
    <div class="timeline" data-testid="saga-timeline" data-saga={saga.id}>
      <svg viewBox={`0 0 ${WIDTH} ${height}`} width="100%" role="img" aria-label={`timeline of ${saga.id}`}>
        <line x1={LABEL} x2={WIDTH - 20} y1={height - 24} y2={height - 24} stroke="#cbd5e1" />
        <text x={LABEL} y={height - 8} class="axis">{formatTime(saga.createdAt)}</text>
        <text x={WIDTH - 20} y={height - 8} class="axis" text-anchor="end">+{((end - start) / 1000).toFixed(1)} s</text>
        {rows.map((row, index) => {
          const y = index * ROW + 16;
          return (
            <g key={row.step} data-testid="timeline-step" data-step={row.step}>
              <text x={LABEL - 8} y={y + 4} text-anchor="end" class="step-label">{row.step}</text>
              <line x1={LABEL} x2={WIDTH - 20} y1={y} y2={y} stroke="#f1f5f9" />
              {row.sentAt !== null && (
                <rect x={x(row.sentAt)} y={y - 5} height={10} rx={3} fill={row.answeredAt === null ? '#bfdbfe' : '#93c5fd'}
                  width={Math.max(2, x(row.answeredAt ?? (active ? now : row.sentAt)) - x(row.sentAt))} />
              )}
              {row.compensationSentAt !== null && (
                <rect x={x(row.compensationSentAt)} y={y - 5} height={10} rx={3} fill="#e9d5ff"
                  width={Math.max(2, x(row.compensatedAt ?? (active ? now : row.compensationSentAt)) - x(row.compensationSentAt))} />
              )}
              {row.entries.map((entry, position) => {
                const mark = markOf(entry.kind);
                const hollow = mark === 'sent' || mark === 'waiting' || mark === 'compensation-sent';
                return (
                  <circle key={position} cx={x(Date.parse(entry.at))} cy={y} r={5} fill={hollow ? '#fff' : COLOURS[mark]} stroke={COLOURS[mark]} stroke-width={2} data-kind={entry.kind}>
                    <title>{`${entry.kind} at ${formatTime(entry.at)} (+${Date.parse(entry.at) - start} ms)`}</title>
                  </circle>
                );
              })}
            </g>
          );
        })}
        {deadline !== null && deadlineToScale && (
          <g data-testid="timeline-deadline">
            <line x1={x(deadline)} x2={x(deadline)} y1={4} y2={height - 24} stroke="#dc2626" stroke-dasharray="4 3" />
            <text x={x(deadline)} y={height - 28} class="deadline" text-anchor="end">deadline</text>
          </g>
        )}
        {deadline !== null && !deadlineToScale && (
          <g data-testid="timeline-deadline">
            <text x={WIDTH - 20} y={12} class="deadline" text-anchor="end">deadline {formatTime(saga.deadlineAt)} (in {Math.max(0, Math.round((deadline - now) / 1000))} s) ⟶</text>
          </g>
        )}
      </svg>
      <div class="legend">
        <span><i style={{ borderColor: COLOURS.sent }} class="hollow" /> sent / waiting</span>
        <span><i style={{ background: COLOURS.answered }} /> answered</span>
        <span><i style={{ background: COLOURS.refused }} /> refused / timed out</span>
        <span><i style={{ background: COLOURS.compensated }} /> compensated</span>
        <span><i style={{ background: '#dc2626', height: '2px' }} /> deadline</span>
      </div>
      <table class="compact">
        <thead><tr><th>step</th><th>what</th><th>at</th><th>+ms</th><th>detail</th></tr></thead>
        <tbody>
          {saga.timeline.map((entry, index) => (
            <tr key={index}>
              <td>{entry.step}</td><td>{entry.kind}</td><td>{formatTime(entry.at)}</td><td>{Date.parse(entry.at) - start}</td>
              <td class="detail">{entry.detail === null ? '' : JSON.stringify(entry.detail)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
