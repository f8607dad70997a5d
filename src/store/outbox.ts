import { sql } from 'kysely';
import type { Db, Store } from './database.js';
import type { OutboxTable } from './schema.js';

export type OutboxRow = OutboxTable;
export type OutboxKind = OutboxTable['kind'];

export interface NewOutboxMessage {
  id: string;
  kind: OutboxKind;
  payload: string;
  recipient: string;
  orgId: string | null;
  invitationId: string | null;
  now: number;
  /** Webhook deliveries: the event type, shown in the delivery log. */
  eventType?: string | null;
}

export async function insertOutboxMessage(tx: Db, m: NewOutboxMessage): Promise<void> {
  await tx
    .insertInto('outbox')
    .values({
      id: m.id,
      kind: m.kind,
      status: 'queued',
      payload: m.payload,
      recipient: m.recipient,
      org_id: m.orgId,
      invitation_id: m.invitationId,
      attempts: 0,
      next_attempt_at: m.now,
      lease_until: null,
      claimed_by: null,
      last_error: null,
      created_at: m.now,
      finished_at: null,
      event_type: m.eventType ?? null,
      response_status: null,
    })
    .execute();
}

/** A resend or a revocation kills the old link: its undelivered messages are dropped. */
export async function dropUndeliveredForInvitation(tx: Db, invitationId: string): Promise<void> {
  await tx.deleteFrom('outbox').where('invitation_id', '=', invitationId).where('status', 'in', ['queued', 'sending', 'failed']).execute();
}

/**
 * Claims up to `limit` due messages of `kind` for `claimer` until `leaseUntil`: queued ones whose
 * time has come, and those whose claimer's lease ran out (it died mid-send). On PostgreSQL
 * `FOR UPDATE SKIP LOCKED` lets several instances claim side by side without waiting on each other
 * and without claiming the same row twice. Relies on index outbox_due.
 */
export async function claimDueMessages(
  store: Store,
  input: { kind: OutboxKind; claimer: string; now: number; leaseUntil: number; limit: number },
): Promise<OutboxRow[]> {
  const due = store.db
    .selectFrom('outbox')
    .select('id')
    .where('kind', '=', input.kind)
    .where((eb) =>
      eb.or([
        eb.and([eb('status', '=', 'queued'), eb('next_attempt_at', '<=', input.now)]),
        eb.and([eb('status', '=', 'sending'), eb('lease_until', '<', input.now)]),
      ]),
    )
    .orderBy('next_attempt_at')
    .limit(input.limit)
    .$if(store.dialect === 'postgres', (qb) => qb.forUpdate().skipLocked());
  return store.db
    .updateTable('outbox')
    .set((eb) => ({
      status: 'sending',
      claimed_by: input.claimer,
      lease_until: input.leaseUntil,
      attempts: eb('attempts', '+', 1),
    }))
    .where('id', 'in', due)
    .returningAll()
    .execute();
}

/** Marks a claimed message delivered and forgets its body. False when the claim was lost (dropped or re-claimed). */
export async function markSent(tx: Db, id: string, claimer: string, now: number): Promise<boolean> {
  const result = await tx
    .updateTable('outbox')
    .set({ status: 'sent', payload: null, last_error: null, lease_until: null, finished_at: now })
    .where('id', '=', id)
    .where('claimed_by', '=', claimer)
    .where('status', '=', 'sending')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Records a failed attempt: due again at `nextAttemptAt`, or failed for good when it is null. */
export async function markAttemptFailed(
  tx: Db,
  input: { id: string; claimer: string; error: string; nextAttemptAt: number | null; now: number },
): Promise<boolean> {
  const result = await tx
    .updateTable('outbox')
    .set(
      input.nextAttemptAt === null
        ? { status: 'failed', last_error: input.error, lease_until: null, finished_at: input.now }
        : { status: 'queued', last_error: input.error, lease_until: null, next_attempt_at: input.nextAttemptAt },
    )
    .where('id', '=', input.id)
    .where('claimed_by', '=', input.claimer)
    .where('status', '=', 'sending')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** "Retry now": a failed or waiting message becomes due at once, with a fresh day of retries. */
export async function makeDueNow(tx: Db, id: string, now: number): Promise<boolean> {
  const result = await tx
    .updateTable('outbox')
    .set({ status: 'queued', next_attempt_at: now, created_at: now, finished_at: null })
    .where('id', '=', id)
    .where('status', 'in', ['queued', 'failed'])
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** When the next message falls due (a queued one's time, or a claim's lease running out), to sleep exactly that long. */
export async function nextDueAt(db: Db, kind: OutboxKind): Promise<number | null> {
  const row = await db
    .selectFrom('outbox')
    .select(sql<number | null>`min(case when status = 'queued' then next_attempt_at else lease_until end)`.as('at'))
    .where('kind', '=', kind)
    .where('status', 'in', ['queued', 'sending'])
    .executeTakeFirst();
  return row?.at == null ? null : Number(row.at);
}

/** The heartbeat of a claimer with sends under way: its claims hold while it lives. */
export async function renewClaims(db: Db, claimer: string, leaseUntil: number): Promise<void> {
  await db
    .updateTable('outbox')
    .set({ lease_until: leaseUntil })
    .where('claimed_by', '=', claimer)
    .where('status', '=', 'sending')
    .execute();
}

export async function undeliveredCount(db: Db, kind: OutboxKind = 'mail'): Promise<number> {
  const row = await db
    .selectFrom('outbox')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('kind', '=', kind)
    .where('status', 'in', ['queued', 'sending'])
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Per kind: messages not yet delivered, the oldest one's creation time, and those failed for good. */
export async function outboxStats(db: Db): Promise<{ kind: string; pending: number; oldest: number | null; failed: number }[]> {
  const rows = await db
    .selectFrom('outbox')
    .select([
      'kind',
      sql<number>`sum(case when status in ('queued', 'sending') then 1 else 0 end)`.as('pending'),
      sql<number | null>`min(case when status in ('queued', 'sending') then created_at end)`.as('oldest'),
      sql<number>`sum(case when status = 'failed' then 1 else 0 end)`.as('failed'),
    ])
    .groupBy('kind')
    .execute();
  return rows.map((r) => ({
    kind: r.kind,
    pending: Number(r.pending),
    oldest: r.oldest === null ? null : Number(r.oldest),
    failed: Number(r.failed),
  }));
}

/** Undelivered mail of an organization's invitations. */
function undeliveredQuery(db: Db, orgId: string) {
  return db
    .selectFrom('outbox as o')
    .innerJoin('invitations as i', 'i.id', 'o.invitation_id')
    .select([
      'o.id',
      'o.recipient',
      'o.status',
      'o.attempts',
      'o.next_attempt_at',
      'o.last_error',
      'o.created_at',
      'i.id as invitation_id',
      'i.kind as invitation_kind',
      'i.dataset_id',
    ])
    .where('o.org_id', '=', orgId)
    .where('o.status', 'in', ['queued', 'sending', 'failed']);
}

/** Undelivered mail of an organization's invitations, newest first. */
export async function undeliveredInvitationMail(db: Db, orgId: string) {
  return undeliveredQuery(db, orgId).orderBy('o.created_at', 'desc').limit(500).execute();
}

/** One of the organization's undelivered invitation e-mails, as `undeliveredInvitationMail` lists it. */
export async function undeliveredInvitationMessage(db: Db, orgId: string, id: string) {
  return undeliveredQuery(db, orgId).where('o.id', '=', id).executeTakeFirst();
}

/**
 * Takes the invitation's row lock before touching its message: use cases change the invitation
 * first and its messages second, and the same order here keeps the two from deadlocking.
 */
export async function lockInvitation(store: Store, tx: Db, invitationId: string): Promise<void> {
  if (store.dialect !== 'postgres') return;
  await tx.selectFrom('invitations').select('id').where('id', '=', invitationId).forUpdate().execute();
}

/** An invitation's `delivery` follows the outcome of its newest message. */
export async function recordInvitationDelivery(
  tx: Db,
  invitationId: string,
  delivery: 'queued' | 'sent' | 'failed',
  lastError: string | null,
): Promise<void> {
  await tx.updateTable('invitations').set({ delivery, last_error: lastError }).where('id', '=', invitationId).execute();
}

/** Gives back this instance's unfinished claims at shutdown, due at once for whoever is alive. */
export async function releaseClaims(db: Db, claimer: string, now: number): Promise<void> {
  await db
    .updateTable('outbox')
    // Not an attempt that failed: it is not counted.
    .set((eb) => ({ status: 'queued', lease_until: null, next_attempt_at: now, attempts: eb('attempts', '-', 1) }))
    .where('claimed_by', '=', claimer)
    .where('status', '=', 'sending')
    .execute();
}
