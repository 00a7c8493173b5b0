import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Database } from '../../platform/database/database.ts';
import { RetryHeaders } from '../../platform/messaging/headers.ts';
import { SeededRandom } from '../../platform/simulation/seeded-random.ts';
import type { PendingPartition } from '../../platform/simulation/simulated-transport.ts';
import { useClock, VirtualClock } from '../../platform/utils/clock.ts';
import { settleDetachedWork } from '../../platform/utils/detached-work.ts';
import { SERVICE_NAMES, type ServiceName } from '../compose.ts';
import { CustomerLoad, type CustomerPlan } from './customers.ts';
import { drawFaultPlan, type FaultKind, type FaultPlan } from './fault-plan.ts';
import type { Oracle, OracleViolation } from './oracle.ts';
import { SIMULATED_SECRETS, SIMULATED_TIMING, SimulatedWorld } from './simulated-world.ts';

/** A deliberate defect, for proving the simulation fails when paysaga is wrong. */
export type InjectedBug = 'lose-outbox-row';

export interface SimulationOptions {
  seed: number;
  sagas: number;
  oracle: Oracle;
  /** The database to run on (emptied first); a run of many seeds passes one, opened once. */
  database: Database;
  bug?: InjectedBug;
  /** Every action, as it is taken (for --verbose). */
  onAction?: (line: string) => void;
}

export interface SimulationResult {
  seed: number;
  sagas: number;
  plans: Record<CustomerPlan, number>;
  faultPlan: FaultPlan;
  faults: Partial<Record<FaultKind, number>>;
  /** Sagas by type and final status, e.g. `checkout COMPLETED`. */
  outcomes: Record<string, number>;
  violations: OracleViolation[];
  steps: number;
  records: number;
  /** SHA-256 of the action log and of the final books: equal for two runs of one seed. */
  traceHash: string;
  virtualMs: number;
  wallMs: number;
  /**
   * Share of the run its thread sat idle, waiting on the wall clock or a socket. A simulated run has nothing to wait
   * for (its clock is virtual, its gateway in process), so this stays small; a real-time wait inside paysaga or a
   * library it calls shows here (the simulate test bounds it).
   */
  idleShare: number;
}

const START_MS = Date.UTC(2026, 0, 1);
const DRAIN_ADVANCE_MS = 61_000;
const DRAIN_BATCH = 100;
/** Most records one simulated delivery hands a batch handler (drawn per delivery). */
const MAX_SIMULATED_BATCH = 8;
/** Up to this many sagas in flight, a clock jump is drawn at the fault plan's full rate. */
const CLOCK_CROWD = 8;

function isDue(pending: PendingPartition, now: number): boolean {
  const due = pending.record.headers[RetryHeaders.notBefore];
  return due === undefined || Number(due) <= now;
}

/**
 * One seeded run: builds a deployment, lets customers run their sagas while
 * the seed's PRNG picks every next step — a delivery (in any order across
 * keys), a crash between effects and commit, a duplicate, a relay pass, a
 * webhook (late, twice or never), a clock jump, a rebalance or a restart —
 * each awaited to completion before the next is drawn. Then it drains with
 * faults off and asks the oracle. Nothing reads the wall clock to decide.
 */
export async function runSimulation(options: SimulationOptions): Promise<SimulationResult> {
  const started = performance.now();
  const loop = performance.eventLoopUtilization();
  const random = new SeededRandom(options.seed);
  const clock = new VirtualClock(START_MS);
  const restoreClock = useClock(clock);
  const trace = createHash('sha256');
  const faults: Partial<Record<FaultKind, number>> = {};
  let steps = 0;
  const count = (kind: FaultKind): void => { faults[kind] = (faults[kind] ?? 0) + 1; };
  const log = (line: string): void => {
    steps += 1;
    trace.update(`${line}\n`);
    options.onAction?.(line);
  };
  const world = await SimulatedWorld.create({ clock, random, database: options.database });
  try {
    const plan = drawFaultPlan(random);
    const load = new CustomerLoad(options.seed, options.sagas, random);
    const driver = new Driver(world, random, plan, log, count, options.bug ?? null);
    world.setGatewayFaults({ errorRate: plan.gatewayErrorRate, timeoutRate: plan.gatewayTimeoutRate });
    const stepCap = options.sagas * 400;
    for (let step = 0; step < stepCap && (load.active > 0 || step < options.sagas * 10); step += 1) {
      await driver.chaosStep(load);
      await settleDetachedWork();
    }
    world.setGatewayFaults({ errorRate: 0, timeoutRate: 0 });
    await driver.drain();
    const stats = world.gateway.stats();
    if (stats.faultsInjected.errors > 0) faults['gateway-error'] = stats.faultsInjected.errors;
    if (stats.faultsInjected.timeouts > 0) faults['gateway-timeout'] = stats.faultsInjected.timeouts;
    const schemas = world.schemas();
    const violations = await options.oracle({ db: world.db, schemas, gateway: { apiKey: SIMULATED_SECRETS.stripeKey, apiBase: world.gateway.url }, readAt: new Date(clock.now()) });
    const outcomes = await sagaOutcomes(world, schemas);
    trace.update(await booksFingerprint(world, schemas));
    return {
      seed: options.seed, sagas: options.sagas, plans: load.plans(), faultPlan: plan, faults, outcomes, violations, steps,
      records: world.transport.recordCount(), traceHash: trace.digest('hex'), virtualMs: clock.now() - START_MS, wallMs: Math.round(performance.now() - started),
      idleShare: 1 - performance.eventLoopUtilization(loop).utilization,
    };
  } finally {
    await world.close();
    restoreClock();
  }
}

class Driver {
  readonly #world: SimulatedWorld;
  readonly #random: SeededRandom;
  readonly #plan: FaultPlan;
  readonly #log: (line: string) => void;
  readonly #count: (kind: FaultKind) => void;
  readonly #bug: InjectedBug | null;

  constructor(world: SimulatedWorld, random: SeededRandom, plan: FaultPlan, log: (line: string) => void, count: (kind: FaultKind) => void, bug: InjectedBug | null) {
    this.#world = world;
    this.#random = random;
    this.#plan = plan;
    this.#log = log;
    this.#count = count;
    this.#bug = bug;
  }

  async chaosStep(load: CustomerLoad): Promise<void> {
    const random = this.#random;
    const plan = this.#plan;
    if (random.chance(plan.restart)) return this.#restart();
    if (random.chance(plan.rebalance)) return this.#rebalance();
    const { backlog, sagasInFlight } = await this.#world.probe();
    // Steps are taken one at a time while the sagas they serve run side by side in a real deployment: beyond a few
    // sagas in flight a clock jump is made rarer, so the time a saga waits for its replies does not grow with the
    // crowd (else a large run times out nearly every step and explores little but compensation).
    // Most jumps are shorter than a command's timeout (a slow moment); a quarter outlast it (a stall every waiting saga notices).
    if (random.chance(plan.delay * Math.min(1, CLOCK_CROWD / Math.max(1, sagasInFlight)))) {
      return this.#delay(random.chance(0.25) ? SIMULATED_TIMING.commandTimeoutMs + random.below(26_000) : 100 + random.below(SIMULATED_TIMING.commandTimeoutMs - 1_000));
    }
    const due = this.#duePending();
    const choices: [weight: number, act: () => Promise<void>][] = [
      [due.length > 0 ? 10 : 0, () => this.#deliverOne(due, true)],
      [backlog.length > 0 ? 4 : 0, async () => { await this.#relay(random.pick(backlog)); }],
      [this.#world.webhooks.length > 0 ? 3 : 0, () => this.#webhookOne(true)],
      [load.active > 0 ? 3 : 0, async () => { const line = await load.step(this.#world, random); if (line) this.#log(line); }],
      [0.5, async () => { await this.#fireDeadlines(); }],
      [0.4, async () => { await this.#reconcile(); }],
      [0.8, async () => { await this.#dispatchNotifications(); }],
    ];
    const total = choices.reduce((sum, [weight]) => sum + weight, 0);
    let draw = random.next() * total;
    for (const [weight, act] of choices) {
      if (weight === 0) continue;
      draw -= weight;
      if (draw < 0) return act();
    }
  }

  /** Faults off: everything published, delivered and answered, the clock run past every deadline, until nothing moves. */
  async drain(): Promise<void> {
    for (let round = 0; round < 60; round += 1) {
      let moved = false;
      for (let pass = 0; pass < 2_000; pass += 1) {
        let progress = false;
        for (const name of (await this.#world.probe()).backlog) if (await this.#relay(name)) progress = true;
        for (const pending of this.#duePending()) {
          await this.#deliver(pending, true, 'drain', DRAIN_BATCH);
          progress = true;
        }
        for (let webhook = this.#world.webhooks.shift(); webhook; webhook = this.#world.webhooks.shift()) {
          this.#log(`drain webhook ${webhook.type} → ${await this.#world.deliverWebhook(webhook)}`);
          progress = true;
        }
        await settleDetachedWork();
        if (!progress) break;
        moved = true;
      }
      if ((await this.#dispatchNotifications()) > 0) moved = true;
      if ((await this.#reconcile()) > 0) moved = true;
      if ((await this.#fireDeadlines()) > 0) moved = true;
      await settleDetachedWork();
      // Quiet only when no saga runs and no record waits (a retry-topic record not due yet needs the clock moved).
      if (!moved && !(await this.#anySagaActive()) && this.#world.transport.pending().length === 0) return;
      if (!moved) {
        this.#world.clock.advance(DRAIN_ADVANCE_MS);
        this.#log(`drain clock +${DRAIN_ADVANCE_MS}`);
      }
    }
  }

  #duePending(): PendingPartition[] {
    const now = this.#world.clock.now();
    return this.#world.transport.pending().filter((pending) => isDue(pending, now));
  }

  async #deliverOne(due: PendingPartition[], faults: boolean): Promise<void> {
    const random = this.#random;
    if (faults && random.chance(this.#plan.duplicateDelivery)) {
      const group = random.pick([...new Set(due.map((pending) => pending.groupId))]);
      const committed = this.#world.transport.committedPartitions(group);
      if (committed.length > 0) {
        const { topic, partition } = random.pick(committed);
        this.#count('duplicate-delivery');
        const { outcome } = await this.#world.transport.deliver(group, topic, partition, { commit: true, redeliver: true });
        this.#log(`duplicate ${group} ${topic}[${partition}]@${this.#world.transport.committedOffset(group, topic, partition) - 1n} ${outcome}`);
        return;
      }
    }
    const index = random.below(due.length);
    if (index > 0) this.#count('reorder');
    const crash = faults && random.chance(this.#plan.crashAfterEffects);
    if (crash) this.#count('crash-after-effects');
    // Half the deliveries hand over a run of what waits (as a busy partition does), so batches meet every fault too.
    const count = random.chance(0.5) ? 1 : 1 + random.below(MAX_SIMULATED_BATCH);
    await this.#deliver(due[index] as PendingPartition, !crash, crash ? 'crash-after-effects' : 'deliver', count);
  }

  async #deliver(pending: PendingPartition, commit: boolean, label: string, count: number): Promise<void> {
    // Delayed-retry records go one at a time: each waits for its own due time.
    const wanted = pending.topic.endsWith('.retry') ? 1 : count;
    const { outcome, records } = await this.#world.transport.deliver(pending.groupId, pending.topic, pending.partition, { commit, count: wanted });
    if (outcome === 'rejected') this.#count('handler-rejected');
    if (records > 1) this.#count('batch');
    this.#log(`${label} ${pending.groupId} ${pending.topic}[${pending.partition}]@${pending.record.offset}${records > 1 ? `+${records}` : ''} ${outcome}`);
  }

  async #relay(name: ServiceName): Promise<number> {
    if (this.#bug === 'lose-outbox-row' && this.#random.chance(0.05)) {
      // The injected defect: a row marked published that never reached the transport.
      const schema = this.#world.schemas()[name];
      const lost = await sql<{ id: string }>`update ${sql.table(`${schema}.outbox`)} set published_at = now()
        where id = (select min(id) from ${sql.table(`${schema}.outbox`)} where published_at is null) returning id`.execute(this.#world.db);
      if (lost.rows.length > 0) this.#log(`bug lost outbox row of ${name}`);
    }
    const published = await this.#world.services[name].relay.publishBatch();
    if (published > 0) this.#log(`relay ${name} ${published}`);
    return published;
  }

  async #webhookOne(faults: boolean): Promise<void> {
    const queue = this.#world.webhooks;
    const index = this.#random.below(queue.length);
    // Any but the oldest: it overtakes events the gateway made before it (the older ones arrive late).
    if (index > 0) this.#count('late-webhook');
    const event = queue[index];
    if (!event) return;
    if (faults && this.#random.chance(this.#plan.droppedWebhook)) {
      queue.splice(index, 1);
      this.#count('dropped-webhook');
      this.#log(`webhook ${event.type} dropped`);
      return;
    }
    const again = faults && this.#random.chance(this.#plan.duplicateWebhook);
    if (again) this.#count('duplicate-webhook');
    else queue.splice(index, 1);
    this.#log(`webhook ${event.type}${again ? ' (kept to come again)' : ''} → ${await this.#world.deliverWebhook(event)}`);
  }

  async #fireDeadlines(): Promise<number> {
    const fired = await this.#world.services.saga.deadlines.fireDue();
    if (fired > 0) this.#log(`deadlines fired ${fired}`);
    return fired;
  }

  async #reconcile(): Promise<number> {
    const report = await this.#world.services.payment.reconciler.reconcileOnce();
    const settled = report.settled + report.refunds;
    if (report.payments + report.refunds > 0) this.#log(`reconcile payments ${report.payments} settled ${report.settled} refunds ${report.refunds}`);
    return settled;
  }

  async #dispatchNotifications(): Promise<number> {
    const sent = await this.#world.services.notification.dispatcher.dispatchDue();
    if (sent > 0) this.#log(`notifications ${sent}`);
    return sent;
  }

  async #delay(ms: number): Promise<void> {
    this.#count('delay');
    this.#world.clock.advance(ms);
    this.#log(`clock +${ms}`);
  }

  async #rebalance(): Promise<void> {
    const name = this.#random.pick(SERVICE_NAMES);
    this.#count('rebalance');
    const consumer = this.#world.services[name].consumer;
    // The member leaves and a new one joins: what it had not committed goes to the newcomer.
    await consumer.stop();
    await consumer.start();
    this.#log(`rebalance ${name}`);
  }

  async #restart(): Promise<void> {
    this.#count('restart');
    await this.#world.restart();
    this.#log('restart every process');
  }

  async #anySagaActive(): Promise<boolean> {
    const row = await sql<{ active: number }>`select count(*)::int as active from ${sql.table(`${this.#world.schemas().saga}.saga_instances`)}
      where status not in ('COMPLETED', 'COMPENSATED', 'FAILED')`.execute(this.#world.db);
    return (row.rows[0]?.active ?? 0) > 0;
  }
}

async function sagaOutcomes(world: SimulatedWorld, schemas: Record<ServiceName, string>): Promise<Record<string, number>> {
  const rows = await sql<{ saga_type: string; status: string; n: number }>`select saga_type, status, count(*)::int as n
    from ${sql.table(`${schemas.saga}.saga_instances`)} group by saga_type, status order by saga_type, status`.execute(world.db);
  return Object.fromEntries(rows.rows.map((row) => [`${row.saga_type} ${row.status}`, row.n]));
}

/** The final books, without generated ids or timestamps: what two runs of one seed must agree on. */
async function booksFingerprint(world: SimulatedWorld, schemas: Record<ServiceName, string>): Promise<string> {
  const queries = [
    sql`select id, saga_type, status, step_index from ${sql.table(`${schemas.saga}.saga_instances`)} order by id`,
    sql`select id, status, total_amount from ${sql.table(`${schemas.order}.orders`)} order by id`,
    sql`select id, status, amount, amount_refunded, refund_pending from ${sql.table(`${schemas.payment}.payments`)} order by id`,
    sql`select product_id, on_hand, reserved, stocked from ${sql.table(`${schemas.inventory}.stock`)} order by product_id`,
    sql`select order_id, kind, status from ${sql.table(`${schemas.notification}.notifications`)} order by order_id, kind`,
  ];
  const parts: string[] = [];
  for (const query of queries) parts.push(JSON.stringify((await query.execute(world.db)).rows, (_, value: unknown) => (typeof value === 'bigint' ? String(value) : value)));
  return parts.join('\n');
}
