import { sql } from 'kysely';
import type { Logger } from 'pino';
import { type Clock, systemClock } from '../clock.js';
import { deliveryFailures } from '../metrics.js';
import { OutboxWorker } from '../outbox/worker.js';
import type { Db, Store } from '../store/database.js';
import { lockInvitation, markAttemptFailed, markSent, type OutboxRow, recordInvitationDelivery } from '../store/outbox.js';
import type { Mailer, MailMessage } from './mailer.js';
import { DEFAULT_RETRY_POLICY, nextAttemptAt, type RetryPolicy } from './retry.js';

export const OUTBOX_CHANNEL = 'tessera_outbox';

export interface DeliveryOptions {
  /** Who claims messages: an id from the app instance's random source. */
  instanceId?: string;
  retry?: RetryPolicy;
  /** The outbox keeps its own time (real time unless a test injects one). */
  clock?: Clock;
  random?: () => number;
  /** How long a claim holds without a heartbeat: the time after which a dead claimer's messages go again. */
  leaseMs?: number;
  /** The slow poll behind LISTEN/NOTIFY, and the longest sleep on SQLite. */
  pollMs?: number;
  /** The Message-ID domain: `<msg_…@domain>`, the same on every attempt. */
  messageIdDomain?: string;
  /** Called when a message fails for good (metrics). */
  onFailed?: (kind: string) => void;
}

/** The reason of a failed send in words for people; the details (host, port, reply) stay in the log. */
export function describeMailError(error: unknown): string {
  const e = error as { code?: string; responseCode?: number };
  if (typeof e?.responseCode === 'number' || e?.code === 'EENVELOPE' || e?.code === 'EMESSAGE') {
    return 'the mail server refused the message';
  }
  if (['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ECONNREFUSED', 'EGREETING'].includes(e?.code ?? '')) {
    return 'the mail server could not be reached';
  }
  return 'the message could not be sent';
}

/**
 * Delivers the mail outbox: whichever instance is alive claims due messages for a lease, sends
 * them and records the outcome (and the invitation's `delivery`). Woken by NOTIFY on PostgreSQL,
 * by `queueMail` itself on SQLite, and by a slow poll either way. At least once: a claimer that
 * dies mid-send leaves a row whose lease runs out, and the message goes again with the same Message-ID.
 */
export class Delivery {
  readonly instanceId: string;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly retry: RetryPolicy;
  private readonly worker: OutboxWorker;

  constructor(
    private readonly store: Store,
    private readonly mailer: Mailer,
    private readonly logger: Logger,
    private readonly options: DeliveryOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.retry = options.retry ?? DEFAULT_RETRY_POLICY;
    this.worker = new OutboxWorker(store, {
      kind: 'mail',
      instanceId: options.instanceId,
      channel: OUTBOX_CHANNEL,
      clock: this.clock,
      logger,
      leaseMs: options.leaseMs ?? 15_000,
      pollMs: options.pollMs ?? (store.dialect === 'postgres' ? 15_000 : 5_000),
      deliver: (row) => this.deliver(row),
      readError: 'the mail outbox could not be read',
      releaseError: 'could not release claimed mail',
    });
    this.instanceId = this.worker.instanceId;
  }

  now(): number {
    return this.clock.now();
  }

  /** Inside the transaction that queued a message: tells every instance once it commits. */
  async announce(tx: Db): Promise<void> {
    if (this.store.dialect === 'postgres') await sql`select pg_notify(${OUTBOX_CHANNEL}, 'mail')`.execute(tx);
    // SQLite has one writer: the claim waits for the connection, so it runs after the commit.
    else setImmediate(() => this.wake());
  }

  wake(): void {
    this.worker.wake();
  }

  start(): Promise<void> {
    return this.worker.start();
  }

  /** Claims one batch of due messages and delivers them; resolves to how many it claimed. */
  deliverDue(): Promise<number> {
    return this.worker.deliverDue();
  }

  private async deliver(row: OutboxRow): Promise<void> {
    if (row.payload === null) return;
    const message = JSON.parse(row.payload) as MailMessage;
    const domain = this.options.messageIdDomain ?? 'tessera.local';
    try {
      await this.mailer.send({ ...message, messageId: `<${row.id}@${domain}>` });
    } catch (error) {
      await this.recordFailure(row, error);
      return;
    }
    await this.store.db
      .transaction()
      .execute(async (tx) => {
        if (row.invitation_id) await lockInvitation(this.store, tx, row.invitation_id);
        if ((await markSent(tx, row.id, this.instanceId, this.now())) && row.invitation_id) {
          await recordInvitationDelivery(tx, row.invitation_id, 'sent', null);
        }
      })
      .catch((error: unknown) => this.logger.error({ err: error, messageId: row.id }, 'could not record a delivered mail'));
  }

  private async recordFailure(row: OutboxRow, error: unknown): Promise<void> {
    const reason = describeMailError(error);
    const now = this.now();
    const next = nextAttemptAt(this.retry, row.attempts, Number(row.created_at), now, this.random);
    this.logger.warn(
      {
        err: error,
        messageId: row.id,
        attempt: row.attempts,
        final: next === null,
        retryAt: next === null ? undefined : new Date(next).toISOString(),
      },
      'mail delivery failed',
    );
    await this.store.db
      .transaction()
      .execute(async (tx) => {
        if (row.invitation_id) await lockInvitation(this.store, tx, row.invitation_id);
        const recorded = await markAttemptFailed(tx, { id: row.id, claimer: this.instanceId, error: reason, nextAttemptAt: next, now });
        if (recorded && row.invitation_id)
          await recordInvitationDelivery(tx, row.invitation_id, next === null ? 'failed' : 'queued', reason);
        if (recorded) deliveryFailures.inc({ kind: row.kind, final: String(next === null) });
        if (recorded && next === null) this.options.onFailed?.(row.kind);
      })
      .catch((failure: unknown) => this.logger.error({ err: failure, messageId: row.id }, 'could not record a delivery failure'));
  }

  /** Resolves once no message is waiting or being sent (tests): every one is sent or failed for good. */
  drain(): Promise<void> {
    return this.worker.drain();
  }

  /**
   * Stops claiming; sends under way get up to `graceMs` to finish. What is left stays queued and
   * is released, due at once, for whichever instance is alive (or this one after a restart).
   */
  stop(graceMs: number): Promise<void> {
    return this.worker.stop(graceMs);
  }
}
