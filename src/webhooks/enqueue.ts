import { PostgresAdapter, sql } from 'kysely';
import { iso } from '../clock.js';
import type { Random } from '../secrets.js';
import type { Db } from '../store/database.js';
import { insertOutboxMessage } from '../store/outbox.js';
import { enabledWebhooksOf, userNames, type WebhookRow } from '../store/webhooks.js';

export const WEBHOOK_CHANNEL = 'tessera_webhooks';

/** An audit event as stored, about to be delivered. */
export interface StoredEvent {
  id: string;
  org_id: string;
  at: number;
  actor_id: string | null;
  action: string;
  dataset_id: string | null;
  subject: string;
  before: string | null;
  after: string | null;
}

/** What a receiver gets: `{id, type, at, orgId, datasetId?, actor, subject, before, after}`. */
export function eventBody(event: StoredEvent, actorName: string | null): string {
  return JSON.stringify({
    id: event.id,
    type: event.action,
    at: iso(event.at),
    orgId: event.org_id,
    ...(event.dataset_id === null ? {} : { datasetId: event.dataset_id }),
    actor: event.actor_id === null ? null : { id: event.actor_id, name: actorName ?? '' },
    subject: event.subject,
    before: event.before === null ? null : JSON.parse(event.before),
    after: event.after === null ? null : JSON.parse(event.after),
  });
}

export function subscribes(webhook: Pick<WebhookRow, 'events'>, type: string): boolean {
  const events = JSON.parse(webhook.events) as string[];
  return events.includes('*') || events.includes(type);
}

/** Instances in this process, woken after a commit on SQLite (one process writes a SQLite file). */
const localWorkers = new Set<{ wake(): void }>();

export function registerLocalWorker(worker: { wake(): void }): () => void {
  localWorkers.add(worker);
  return () => localWorkers.delete(worker);
}

/** Inside the transaction that queued deliveries: every instance hears of them once it commits. */
export async function announceWebhooks(tx: Db): Promise<void> {
  if (tx.getExecutor().adapter instanceof PostgresAdapter) await sql`select pg_notify(${WEBHOOK_CHANNEL}, 'webhook')`.execute(tx);
  // SQLite has one writer: the claim waits for the connection, so it runs after the commit.
  else
    setImmediate(() => {
      for (const worker of localWorkers) worker.wake();
    });
}

/** Queues one delivery (an outbox row of kind `webhook`) in the caller's transaction. */
export async function queueDelivery(tx: Db, random: Random, webhook: WebhookRow, type: string, body: string, now: number): Promise<string> {
  const id = random.id('whd');
  await insertOutboxMessage(tx, {
    id,
    kind: 'webhook',
    payload: body,
    recipient: webhook.id,
    orgId: webhook.org_id,
    invitationId: null,
    now,
    eventType: type,
  });
  return id;
}

/**
 * In the transaction that records audit events: one delivery per event and enabled webhook of
 * its organization subscribed to its type. Committed with the events, or not at all.
 */
export async function enqueueWebhookDeliveries(tx: Db, random: Random, events: StoredEvent[]): Promise<void> {
  if (events.length === 0) return;
  const webhooks = await enabledWebhooksOf(tx, [...new Set(events.map((e) => e.org_id))]);
  if (webhooks.length === 0) return;
  const wanted = events.flatMap((event) =>
    webhooks.filter((w) => w.org_id === event.org_id && subscribes(w, event.action)).map((webhook) => ({ event, webhook })),
  );
  if (wanted.length === 0) return;
  const names = await userNames(tx, [...new Set(wanted.flatMap(({ event }) => (event.actor_id === null ? [] : [event.actor_id])))]);
  for (const { event, webhook } of wanted) {
    await queueDelivery(
      tx,
      random,
      webhook,
      event.action,
      eventBody(event, event.actor_id === null ? null : (names.get(event.actor_id) ?? null)),
      event.at,
    );
  }
  await announceWebhooks(tx);
}
