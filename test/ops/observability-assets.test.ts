import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { PlatformMetrics } from '../../src/platform/observability/platform-metrics.ts';
import { promtool } from '../support/promtool.ts';

const root = join(import.meta.dirname, '..', '..');
const DASHBOARD = join(root, 'ops', 'grafana', 'paysaga.json');
const RULES = join(root, 'ops', 'prometheus', 'alerts.yml');

const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'inf', 'nan']);

/** The metric names a PromQL expression selects (functions, label matchers, ranges and grouping labels left out). */
export function metricNamesOf(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names: string[] = [];
  for (const match of stripped.matchAll(/(?<![\w.$])[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const rest = stripped.slice((match.index) + match[0].length).trimStart();
    if (rest.startsWith('(') || KEYWORDS.has(match[0].toLowerCase())) continue;
    names.push(match[0]);
  }
  return names;
}

/** Every series name this code exports: histograms as their _bucket, _sum and _count. */
function exportedNames(): Set<string> {
  const metrics = new PlatformMetrics();
  return new Set(metrics.registry.getMetricsAsArray().flatMap((metric) => {
    const { name, type } = metric as unknown as { name: string; type: string };
    return type === 'histogram' || type === 'summary' ? [name, `${name}_bucket`, `${name}_sum`, `${name}_count`] : [name];
  }));
}

interface Rule { record: string | null; expr: string }

/** The rules of alerts.yml: `expr:` on one line or as a folded block (the file keeps to those two forms). */
function rulesOf(text: string): Rule[] {
  const lines = text.split('\n');
  const rules: Rule[] = [];
  let record: string | null = null;
  for (let index = 0; index < lines.length; index += 1) {
    const line = lines[index] ?? '';
    const recordMatch = /^\s*- record: (\S+)/.exec(line);
    if (recordMatch) record = recordMatch[1] ?? null;
    if (/^\s*- alert: /.test(line)) record = null;
    const exprMatch = /^(\s*)expr: (.*)$/.exec(line);
    if (!exprMatch) continue;
    let expr = exprMatch[2] ?? '';
    if (expr === '>') {
      const indent = (exprMatch[1] ?? '').length;
      const block: string[] = [];
      while ((lines[index + 1] ?? '').search(/\S/) > indent) block.push((lines[(index += 1)] ?? '').trim());
      expr = block.join(' ');
    }
    rules.push({ record, expr });
  }
  return rules;
}

test('the metric-name extractor finds names and only names', () => {
  assert.deepEqual(metricNamesOf('sum by (le, type) (rate(foo_bucket{outcome=~"a|b"}[$__rate_interval])) / on (type) bar_total > 5 and max(baz:ratio) == bool 1'), ['foo_bucket', 'bar_total', 'baz:ratio']);
});

test('every metric the Grafana dashboard queries is exported', () => {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: { title: string; targets?: { expr: string }[] }[] };
  const exported = exportedNames();
  const queried = dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => ({ panel: panel.title, expr: target.expr })));
  assert.ok(queried.length >= 20, `the dashboard has its queries (${queried.length})`);
  const missing = queried.flatMap(({ panel, expr }) => metricNamesOf(expr).filter((name) => !exported.has(name)).map((name) => `${panel}: ${name}`));
  assert.deepEqual(missing, []);
  for (const name of ['payment_events_published_total', 'payment_events_consumed_total', 'paysaga_consumer_lag', 'paysaga_money_at_risk_minor_units', 'paysaga_sagas_stuck']) {
    assert.ok(queried.some(({ expr }) => metricNamesOf(expr).includes(name)), `the dashboard shows ${name}`);
  }
});

test('promtool accepts the alert rules, and every metric they name is exported or recorded there', async () => {
  const { code, output } = await promtool(['check', 'rules', RULES]);
  assert.equal(code, 0, output);
  const rules = rulesOf(readFileSync(RULES, 'utf8'));
  assert.match(output, new RegExp(`SUCCESS: ${rules.length} rules found`), 'the extractor read every rule promtool found');
  const known = new Set([...exportedNames(), ...rules.flatMap((rule) => (rule.record ? [rule.record] : []))]);
  assert.deepEqual(rules.flatMap((rule) => metricNamesOf(rule.expr).filter((name) => !known.has(name))), []);
  const alerted = rules.filter((rule) => rule.record === null).flatMap((rule) => metricNamesOf(rule.expr));
  for (const name of ['paysaga_consumer_lag', 'payment_event_failures_total', 'paysaga_sagas_stuck', 'paysaga_circuit_breaker_state', 'paysaga_outbox_oldest_age_seconds', 'paysaga_money_at_risk_minor_units']) {
    assert.ok(alerted.includes(name), `an alert on ${name}`);
  }
});
