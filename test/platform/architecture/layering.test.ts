import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve, dirname } from 'node:path';
import { test } from 'node:test';

const src = join(import.meta.dirname, '..', '..', '..', 'src');

function filesUnder(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    return statSync(path).isDirectory() ? filesUnder(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** The top-level area (and service) a source file belongs to: `contracts`, `platform`, `services/payment`, … */
function areaOf(path: string): string {
  const [top, second] = relative(src, path).split('/');
  return top === 'services' ? `services/${second}` : (top ?? '');
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:import|export)[^'"]*?from\s+['"](\.[^'"]+)['"]/g)].map((match) => resolve(dirname(file), match[1] ?? ''));
}

/** Who may import whom: contracts import nothing of ours; platform only contracts; a service only contracts and platform. */
function allowed(from: string, to: string): boolean {
  if (from === to) return true;
  if (from === 'contracts') return false;
  if (from === 'platform') return to === 'contracts';
  if (from.startsWith('services/')) return to === 'contracts' || to === 'platform';
  if (from === 'gateway') return to === 'contracts' || to === 'platform'; // the simulator stands in for Stripe: it knows no service
  return true; // cli, dashboard and the wiring compose everything
}

test('layers import downwards only, and a service imports only contracts and platform', () => {
  const violations = filesUnder(src).flatMap((file) => importsOf(file)
    .filter((target) => target.startsWith(src) && !allowed(areaOf(file), areaOf(target)))
    .map((target) => `${relative(src, file)} → ${relative(src, target)}`));
  assert.deepEqual(violations, []);
});

test('the check itself catches a service importing another service', () => {
  assert.equal(allowed('services/order', 'services/payment'), false);
  assert.equal(allowed('services/order', 'platform'), true);
  assert.equal(allowed('platform', 'services/order'), false);
  assert.equal(allowed('contracts', 'platform'), false);
  assert.equal(allowed('gateway', 'services/payment'), false);
  assert.equal(allowed('services/payment', 'gateway'), false);
});

/**
 * The dashboard (dashboard/src) knows paysaga only through its HTTP API: no import reaches outside its folder, but
 * for types of the wire contracts (src/contracts), which the build erases.
 */
function dashboardReachesOut(dashboard: string): string[] {
  const contracts = join(dashboard, '..', '..', 'src', 'contracts');
  const typesOfContracts = (file: string, target: string): boolean => target.startsWith(contracts)
    && [...readFileSync(file, 'utf8').matchAll(/(?:import|export) type [^'"]*?from\s+['"](\.[^'"]+)['"]/g)].some((match) => resolve(dirname(file), match[1] ?? '') === target);
  const files = (function walk(directory: string): string[] {
    return readdirSync(directory).flatMap((name) => {
      const path = join(directory, name);
      return statSync(path).isDirectory() ? walk(path) : /\.tsx?$/.test(path) ? [path] : [];
    });
  })(dashboard);
  return files.flatMap((file) => importsOf(file).filter((target) => !target.startsWith(dashboard) && !typesOfContracts(file, target)).map((target) => `${relative(dashboard, file)} → ${relative(dashboard, target)}`));
}

test('the dashboard imports no code of the services, the platform or the contracts: it talks HTTP only', () => {
  const dashboard = join(src, '..', 'dashboard', 'src');
  assert.ok(statSync(dashboard).isDirectory(), 'the dashboard sources are found');
  assert.deepEqual(dashboardReachesOut(dashboard), []);
});

test('the check itself catches a dashboard file importing service code', () => {
  const dashboard = mkdtempSync(join(tmpdir(), 'dashboard-layering-'));
  try {
    writeFileSync(join(dashboard, 'page.tsx'), "import { sagaRoutes } from '../../src/services/saga/http/saga-routes.ts';\nimport { Api } from './api.ts';\n");
    assert.deepEqual(dashboardReachesOut(dashboard).length, 1);
    writeFileSync(join(dashboard, 'page.tsx'), "import { money } from '../../src/contracts/money.ts';\n");
    assert.deepEqual(dashboardReachesOut(dashboard).length, 1, 'code of the contracts is refused too: only their types');
  } finally {
    rmSync(dashboard, { recursive: true, force: true });
  }
});
