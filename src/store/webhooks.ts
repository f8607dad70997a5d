import type { Db } from './database.js';
import type { WebhooksTable } from './schema.js';

export type WebhookRow = WebhooksTable;

export async function insertWebhook(tx: Db, row: WebhookRow): Promise<void> {
  await tx.insertInto('webhooks').values(row).execute();
}

export async function findWebhook(db: Db, id: string): Promise<WebhookRow | undefined> {
  return db.selectFrom('webhooks').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The organization's webhooks, oldest first. Relies on index webhooks_org. */
export async function webhooksOfOrg(db: Db, orgId: string): Promise<WebhookRow[]> {
  return db.selectFrom('webhooks').selectAll().where('org_id', '=', orgId).orderBy('created_at').orderBy('id').execute();
}

/** Enabled webhooks of these organizations: those that receive their events. Relies on index webhooks_org. */
export async function enabledWebhooksOf(tx: Db, orgIds: string[]): Promise<WebhookRow[]> {
  if (orgIds.length === 0) return [];
  return tx.selectFrom('webhooks').selectAll().where('org_id', 'in', orgIds).where('enabled', '=', 1).execute();
}

/** Removes a webhook and its deliveries, waiting or logged. */
export async function deleteWebhook(tx: Db, id: string): Promise<void> {
  await tx.deleteFrom('outbox').where('kind', '=', 'webhook').where('recipient', '=', id).execute();
  await tx.deleteFrom('webhooks').where('id', '=', id).execute();
}

/** A new secret signs from now on; the previous one signs too until `previousUntil`. */
export async function rotateWebhookSecret(tx: Db, id: string, secret: string, previous: string, previousUntil: number): Promise<void> {
  await tx
    .updateTable('webhooks')
    .set({ secret, previous_secret: previous, previous_secret_until: previousUntil })
    .where('id', '=', id)
    .execute();
}

/** A delivered attempt ends a run of failures. */
export async function recordWebhookSuccess(tx: Db, id: string): Promise<void> {
  await tx.updateTable('webhooks').set({ failing_since: null }).where('id', '=', id).where('failing_since', 'is not', null).execute();
}

/** A failed attempt starts (or continues) a run of failures; resolves to when it started. */
export async function recordWebhookFailure(tx: Db, id: string, now: number): Promise<number | null> {
  await tx.updateTable('webhooks').set({ failing_since: now }).where('id', '=', id).where('failing_since', 'is', null).execute();
  const row = await tx.selectFrom('webhooks').select('failing_since').where('id', '=', id).executeTakeFirst();
  return row?.failing_since == null ? null : Number(row.failing_since);
}

/** Disables an enabled webhook; false when it was not enabled (already disabled by another instance). */
export async function disableWebhook(tx: Db, id: string, now: number): Promise<boolean> {
  const result = await tx
    .updateTable('webhooks')
    .set({ enabled: 0, disabled_at: now })
    .where('id', '=', id)
    .where('enabled', '=', 1)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** The answer's status of the last attempt of a delivery, for the log. */
export async function recordResponseStatus(tx: Db, deliveryId: string, status: number | null): Promise<void> {
  await tx.updateTable('outbox').set({ response_status: status }).where('id', '=', deliveryId).execute();
}

/** The waiting deliveries of a disabled webhook fail at once. */
export async function failWaitingDeliveries(tx: Db, webhookId: string, reason: string, now: number): Promise<void> {
  await tx
    .updateTable('outbox')
    .set({ status: 'failed', last_error: reason, lease_until: null, finished_at: now })
    .where('kind', '=', 'webhook')
    .where('recipient', '=', webhookId)
    .where('status', '=', 'queued')
    .execute();
}

/** A webhook's deliveries, newest first. Relies on index outbox_recipient. */
export async function deliveriesOf(db: Db, webhookId: string, limit: number) {
  return db
    .selectFrom('outbox')
    .select(['id', 'event_type', 'status', 'attempts', 'response_status', 'last_error', 'created_at', 'next_attempt_at'])
    .where('kind', '=', 'webhook')
    .where('recipient', '=', webhookId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}

/** The addresses of the organization's admins, for notices. */
export async function orgAdminEmails(db: Db, orgId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('org_members as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select('u.email')
    .where('m.org_id', '=', orgId)
    .where('m.role', '=', 'admin')
    .orderBy('u.email')
    .execute();
  return rows.map((r) => r.email);
}

export async function userNames(db: Db, ids: string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await db.selectFrom('users').select(['id', 'name']).where('id', 'in', ids).execute();
  return new Map(rows.map((r) => [r.id, r.name]));
}
