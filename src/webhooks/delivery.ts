import { recordEvent } from '../audit/record.js';
import { type Clock, DAY } from '../clock.js';
import { type Context, inTransaction } from '../context.js';
import { queueMail } from '../mail/outbox.js';
import { DEFAULT_RETRY_POLICY, nextAttemptAt, type RetryPolicy } from '../mail/retry.js';
import { webhookDisabledMail } from '../mail/templates.js';
import { deliveryFailures, webhookDeliveries } from '../metrics.js';
import { newId } from '../secrets.js';
import {
  claimDueMessages,
  markAttemptFailed,
  markSent,
  nextDueAt,
  type OutboxRow,
  releaseClaims,
  renewClaims,
  undeliveredCount,
} from '../store/outbox.js';
import {
  disableWebhook,
  failWaitingDeliveries,
  findWebhook,
  orgAdminEmails,
  recordResponseStatus,
  recordWebhookFailure,
  recordWebhookSuccess,
  type WebhookRow,
} from '../store/webhooks.js';
import { registerLocalWorker, WEBHOOK_CHANNEL } from './enqueue.js';
import { signatureHeader } from './signature.js';
import { postWebhook, type WebhookOutcome } from './transport.js';

export interface WebhookDeliveryOptions {
  retry?: RetryPolicy;
  /** The time of deliveries; the context's clock unless a test injects another. */
  clock?: Clock;
  random?: () => number;
  leaseMs?: number;
  pollMs?: number;
  /** How long a receiver has to answer (10 s). */
  timeoutMs?: number;
  /** How long a webhook may fail without a single success before it is disabled (24 h). */
  disableAfterMs?: number;
}

const BATCH = 5;

/** The secrets that sign a delivery now: the current one, and the previous one during its grace period. */
export function signingSecrets(webhook: WebhookRow, now: number): string[] {
  const previous =
    webhook.previous_secret !== null && webhook.previous_secret_until !== null && Number(webhook.previous_secret_until) > now
      ? [webhook.previous_secret]
      : [];
  return [webhook.secret, ...previous];
}

/**
 * Delivers webhook outbox rows: the same claiming as mail (a lease; `FOR UPDATE SKIP LOCKED` on
 * PostgreSQL, woken by NOTIFY; one process on SQLite), each attempt signed afresh, retried with
 * jittered back-off for a day. A webhook failing without a success for a day is disabled and its
 * organization's admins are told.
 */
export class WebhookDelivery {
  readonly instanceId = newId('inst');
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly retry: RetryPolicy;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly timeoutMs: number;
  private readonly disableAfterMs: number;
  private readonly inFlight = new Set<Promise<void>>();
  private running = false;
  private loop: Promise<void> | null = null;
  private wakeUp: (() => void) | null = null;
  private woken = false;
  private unlisten: (() => Promise<void>) | null = null;
  private unregister: (() => void) | null = null;
  private heartbeat: NodeJS.Timeout | null = null;

  constructor(
    private readonly ctx: Context,
    options: WebhookDeliveryOptions = {},
  ) {
    this.clock = options.clock ?? ctx.clock;
    this.random = options.random ?? Math.random;
    this.retry = options.retry ?? DEFAULT_RETRY_POLICY;
    this.leaseMs = options.leaseMs ?? 15_000;
    this.pollMs = options.pollMs ?? (ctx.store.dialect === 'postgres' ? 15_000 : 5_000);
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.disableAfterMs = options.disableAfterMs ?? DAY;
  }

  now(): number {
    return this.clock.now();
  }

  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    if (this.ctx.store.listen) this.unlisten = await this.ctx.store.listen(WEBHOOK_CHANNEL, () => this.wake());
    else this.unregister = registerLocalWorker(this);
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (this.running) {
      this.woken = false;
      let claimed = 0;
      try {
        claimed = await this.deliverDue();
      } catch (error) {
        this.ctx.logger.error({ err: error }, 'the webhook outbox could not be read');
      }
      if (!this.running) break;
      if (claimed > 0 || this.woken) continue;
      await this.sleep(await this.sleepMs());
    }
  }

  private async sleepMs(): Promise<number> {
    const due = await nextDueAt(this.ctx.db, 'webhook').catch(() => null);
    if (due === null) return this.pollMs;
    return Math.max(0, Math.min(this.pollMs, due - this.now()));
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.woken) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = () => {
        this.wakeUp = null;
        done();
      };
    });
  }

  /** Claims one batch of due deliveries and makes them; resolves to how many it claimed. */
  async deliverDue(): Promise<number> {
    const now = this.now();
    const rows = await claimDueMessages(this.ctx.store, {
      kind: 'webhook',
      claimer: this.instanceId,
      now,
      leaseUntil: now + this.leaseMs,
      limit: BATCH,
    });
    await Promise.all(rows.map((row) => this.track(this.deliver(row))));
    return rows.length;
  }

  private track(work: Promise<void>): Promise<void> {
    const tracked = work.finally(() => {
      this.inFlight.delete(tracked);
      if (this.inFlight.size === 0 && this.heartbeat) {
        clearInterval(this.heartbeat);
        this.heartbeat = null;
      }
    });
    this.inFlight.add(tracked);
    this.heartbeat ??= setInterval(() => {
      renewClaims(this.ctx.db, this.instanceId, this.now() + this.leaseMs).catch(() => undefined);
    }, this.leaseMs / 3).unref();
    return tracked;
  }

  private async deliver(row: OutboxRow): Promise<void> {
    const webhook = await findWebhook(this.ctx.db, row.recipient);
    let outcome: WebhookOutcome;
    if (webhook?.enabled !== 1 || row.payload === null) {
      outcome = { ok: false, status: null, reason: 'the webhook is disabled' };
    } else {
      const signedAt = this.now();
      outcome = await postWebhook(
        {
          url: webhook.url,
          body: row.payload,
          timeoutMs: this.timeoutMs,
          headers: {
            'Tessera-Event': row.event_type ?? 'unknown',
            'Tessera-Delivery': row.id,
            'Tessera-Signature': signatureHeader(row.payload, signingSecrets(webhook, signedAt), signedAt),
          },
        },
        this.ctx.webhooks,
      );
    }
    await inTransaction(this.ctx, async (tx) => {
      if (outcome.ok) {
        if (!(await markSent(tx, row.id, this.instanceId, this.now()))) return;
        await recordResponseStatus(tx, row.id, outcome.status);
        await recordWebhookSuccess(tx, row.recipient);
        webhookDeliveries.inc({ outcome: 'delivered' });
        return;
      }
      const now = this.now();
      const live = webhook !== undefined && webhook.enabled === 1;
      const next = live ? nextAttemptAt(this.retry, row.attempts, Number(row.created_at), now, this.random) : null;
      const reason = outcome.reason ?? 'the delivery failed';
      if (!(await markAttemptFailed(tx, { id: row.id, claimer: this.instanceId, error: reason, nextAttemptAt: next, now }))) return;
      await recordResponseStatus(tx, row.id, outcome.status);
      webhookDeliveries.inc({ outcome: next === null ? 'failed' : 'retrying' });
      deliveryFailures.inc({ kind: 'webhook', final: String(next === null) });
      this.ctx.logger.warn(
        { webhookId: row.recipient, deliveryId: row.id, attempt: row.attempts, status: outcome.status, reason, final: next === null },
        'webhook delivery failed',
      );
      if (!live) return;
      const failingSince = await recordWebhookFailure(tx, webhook.id, now);
      if (failingSince !== null && now - failingSince >= this.disableAfterMs) await this.disable(tx, webhook, now);
    }).catch((error: unknown) => this.ctx.logger.error({ err: error, deliveryId: row.id }, 'could not record a webhook delivery'));
  }

  /** A day of failures: the webhook is disabled, its waiting deliveries fail, and the org's admins are told. */
  private async disable(tx: Parameters<Parameters<typeof inTransaction>[1]>[0], webhook: WebhookRow, now: number): Promise<void> {
    if (!(await disableWebhook(tx, webhook.id, now))) return;
    await failWaitingDeliveries(tx, webhook.id, 'the webhook is disabled', now);
    await recordEvent(tx, {
      orgId: webhook.org_id,
      at: now,
      actorId: null,
      action: 'webhook.disabled',
      subject: `webhook:${webhook.id}`,
      before: { enabled: true },
      after: { enabled: false, reason: 'failing for 24 hours' },
    });
    const org = await tx.selectFrom('orgs').select('name').where('id', '=', webhook.org_id).executeTakeFirst();
    for (const to of await orgAdminEmails(tx, webhook.org_id)) {
      await queueMail(
        this.ctx,
        tx,
        webhookDisabledMail({ to, orgName: org?.name ?? '', url: webhook.url, failingSince: Number(webhook.failing_since ?? now) }),
        {
          orgId: webhook.org_id,
        },
      );
    }
    this.ctx.logger.warn({ webhookId: webhook.id, orgId: webhook.org_id }, 'webhook disabled after a day of failures');
  }

  /** Resolves once no delivery is waiting or under way (tests). */
  async drain(): Promise<void> {
    while ((await undeliveredCount(this.ctx.db, 'webhook')) > 0) {
      if ((await this.deliverDue()) === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  async stop(graceMs: number): Promise<void> {
    this.running = false;
    this.wakeUp?.();
    this.unregister?.();
    await this.unlisten?.();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([this.loop, ...this.inFlight]),
      new Promise((resolve) => {
        timer = setTimeout(resolve, graceMs);
      }),
    ]);
    clearTimeout(timer);
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    await releaseClaims(this.ctx.db, this.instanceId, this.now()).catch((error: unknown) =>
      this.ctx.logger.error({ err: error }, 'could not release claimed webhook deliveries'),
    );
  }
}
