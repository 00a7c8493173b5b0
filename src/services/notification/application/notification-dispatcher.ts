import type { Kysely } from 'kysely';
import { fallbackLogger, type Logger } from '../../../platform/observability/logger.ts';
import { RepeatingTask } from '../../../platform/utils/repeating-task.ts';
import { detach } from '../../../platform/utils/detached-work.ts';
import type { NotificationChannel } from '../channels/notification-channel.ts';
import { judgeAttempt, type AttemptOutcome, type SendSchedule } from '../domain/send-attempts.ts';
import { claimNotification, dueNotifications, markAttemptFailed, markSent } from './notification-repository.ts';
import { outgoingOf } from './notification-view.ts';

export interface DispatchPolicy extends SendSchedule {
  /** How often the retry loop looks for due notifications (new ones are also sent at once after their commit). */
  pollIntervalMs: number;
  /** How long a claimed send may take before another dispatcher may try again; keep it above the channel's timeout. */
  leaseMs: number;
  /** Notifications sent at the same time by the retry loop. */
  concurrency: number;
}

export const DEFAULT_DISPATCH_POLICY: DispatchPolicy = {
  maxAttempts: 5, initialDelayMs: 1_000, maxDelayMs: 60_000, pollIntervalMs: 1_000, leaseMs: 60_000, concurrency: 4,
};

export interface NotificationDispatcherOptions {
  db: Kysely<unknown>;
  schema: string;
  channel: NotificationChannel;
  policy?: Partial<DispatchPolicy>;
  /** Database faults while dispatching (the retry loop tries again later) and failed sends. */
  logger?: Logger;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Sends recorded notifications through the channel, outside any transaction:
 * claim (one attempt, one dispatcher), send, then mark sent — or schedule the
 * next attempt with backoff, up to `maxAttempts`, then mark failed. A trigger
 * sends a new notification right after its commit; the retry loop picks up
 * whatever is due (failed attempts, triggers lost to a crash, expired leases).
 */
export class NotificationDispatcher {
  readonly #options: NotificationDispatcherOptions;
  readonly #logger: Logger;
  readonly #policy: DispatchPolicy;
  readonly #inFlight = new Set<Promise<void>>();
  readonly #retryLoop: RepeatingTask;

  constructor(options: NotificationDispatcherOptions) {
    this.#options = options;
    this.#logger = options.logger ?? fallbackLogger();
    this.#policy = { ...DEFAULT_DISPATCH_POLICY, ...options.policy };
    this.#retryLoop = new RepeatingTask(async () => { await this.dispatchDue(); }, {
      intervalMs: this.#policy.pollIntervalMs,
      onError: (error) => { this.#logger.error({ err: error, nextPassInMs: this.#policy.pollIntervalMs }, 'notification retry pass failed'); },
    });
  }

  get channel(): NotificationChannel {
    return this.#options.channel;
  }

  /** Sends one notification now, unless another dispatcher has it or it is not due. Returns whether an attempt was made. */
  async dispatch(id: string): Promise<boolean> {
    const { db, schema, channel } = this.#options;
    const claimed = await claimNotification(db, schema, id, this.#policy.leaseMs);
    if (!claimed) return false;
    let outcome: AttemptOutcome;
    try {
      await channel.send(outgoingOf(claimed));
      outcome = { ok: true };
    } catch (error) {
      outcome = { ok: false, error: errorMessage(error) };
    }
    const verdict = judgeAttempt(claimed.attempts, outcome, this.#policy);
    if (!outcome.ok) {
      this.#logger[verdict.status === 'failed' ? 'error' : 'warn']({ notificationId: id, channel: channel.name, attempt: claimed.attempts, error: outcome.error, outcome: verdict.status },
        verdict.status === 'failed' ? 'notification failed for good' : 'notification send failed; retrying later');
    }
    if (verdict.status === 'sent') await markSent(db, schema, id);
    else await markAttemptFailed(db, schema, claimed, verdict);
    return true;
  }

  /** Fire-and-forget dispatch (after a commit); tracked so stop() waits for it. */
  trigger(id: string): void {
    if (this.#retryLoop.signal.aborted) return; // the retry loop of the next start sends it
    this.#track(this.dispatch(id).then(() => undefined));
  }

  /** One pass of the retry loop: dispatches every due notification (a batch), a few at a time. */
  async dispatchDue(limit = 100): Promise<number> {
    const ids = await dueNotifications(this.#options.db, this.#options.schema, limit);
    let attempted = 0;
    for (let start = 0; start < ids.length; start += this.#policy.concurrency) {
      const results = await Promise.all(ids.slice(start, start + this.#policy.concurrency).map((id) => this.dispatch(id)));
      attempted += results.filter(Boolean).length;
    }
    return attempted;
  }

  start(): void {
    this.#retryLoop.start();
  }

  /** Stops the retry loop and waits for sends under way, so none is cut off between send and mark. */
  async stop(): Promise<void> {
    await this.#retryLoop.stop();
    await Promise.all([...this.#inFlight]);
  }

  #track(work: Promise<void>): void {
    const tracked = work.catch((error: unknown) => { this.#logger.error({ err: error }, 'sending a notification failed before it was marked; the retry loop picks it up'); }).finally(() => { this.#inFlight.delete(tracked); });
    this.#inFlight.add(detach(tracked));
  }

}
