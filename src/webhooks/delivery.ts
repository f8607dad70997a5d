import { recordEvent } from '../audit/record.js';
import { type Clock, DAY } from '../clock.js';
import { type Context, inTransaction } from '../context.js';
import { queueMail } from '../mail/outbox.js';
import { DEFAULT_RETRY_POLICY, nextAttemptAt, type RetryPolicy } from '../mail/retry.js';
import { webhookDisabledMail } from '../mail/templates.js';
import { deliveryFailures, webhookDeliveries } from '../metrics.js';
import { OutboxWorker } from '../outbox/worker.js';
import { findOrg } from '../store/orgs.js';
import { markAttemptFailed, markSent, type OutboxRow } from '../store/outbox.js';
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
  readonly instanceId: string;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly retry: RetryPolicy;
  private readonly timeoutMs: number;
  private readonly disableAfterMs: number;
  private readonly worker: OutboxWorker;

  constructor(
    private readonly ctx: Context,
    options: WebhookDeliveryOptions = {},
  ) {
    this.clock = options.clock ?? ctx.clock;
    this.random = options.random ?? Math.random;
    this.retry = options.retry ?? DEFAULT_RETRY_POLICY;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.disableAfterMs = options.disableAfterMs ?? DAY;
    this.worker = new OutboxWorker(ctx.store, {
      kind: 'webhook',
      instanceId: ctx.random.id('inst'),
      channel: WEBHOOK_CHANNEL,
      clock: this.clock,
      logger: ctx.logger,
      leaseMs: options.leaseMs ?? 15_000,
      pollMs: options.pollMs ?? (ctx.store.dialect === 'postgres' ? 15_000 : 5_000),
      deliver: (row) => this.deliver(row),
      registerLocal: registerLocalWorker,
      readError: 'the webhook outbox could not be read',
      releaseError: 'could not release claimed webhook deliveries',
    });
    this.instanceId = this.worker.instanceId;
  }

  now(): number {
    return this.clock.now();
  }

  wake(): void {
    this.worker.wake();
  }

  start(): Promise<void> {
    return this.worker.start();
  }

  /** Claims one batch of due deliveries and makes them; resolves to how many it claimed. */
  deliverDue(): Promise<number> {
    return this.worker.deliverDue();
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
    await recordEvent(tx, this.ctx.random, {
      orgId: webhook.org_id,
      at: now,
      actorId: null,
      action: 'webhook.disabled',
      subject: `webhook:${webhook.id}`,
      before: { enabled: true },
      after: { enabled: false, reason: 'failing for 24 hours' },
    });
    const org = await findOrg(tx, webhook.org_id);
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
  drain(): Promise<void> {
    return this.worker.drain();
  }

  stop(graceMs: number): Promise<void> {
    return this.worker.stop(graceMs);
  }
}
