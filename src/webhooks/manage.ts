import { authorizeOrgAction } from '../access/authorize.js';
import type { Actor } from '../access/scope.js';
import { recordEvent } from '../audit/record.js';
import { DAY, iso } from '../clock.js';
import { type Context, inTransaction } from '../context.js';
import { NotFound } from '../errors.js';
import type { Db } from '../store/database.js';
import {
  deleteWebhook,
  deliveriesOf,
  findWebhook,
  insertWebhook,
  rotateWebhookSecret,
  type WebhookRow,
  webhooksOfOrg,
} from '../store/webhooks.js';
import { checkWebhookUrl } from './address.js';
import { announceWebhooks, queueDelivery } from './enqueue.js';

/** How long the previous secret still signs after a rotation. */
export const ROTATION_GRACE_MS = DAY;

export interface WebhookView {
  id: string;
  url: string;
  events: string[];
  enabled: boolean;
  disabledAt: string | null;
  createdAt: string;
}

export interface DeliveryView {
  id: string;
  event: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  responseStatus: number | null;
  /** Why the last attempt failed, in words (no hosts or addresses); null when it did not. */
  error: string | null;
  /** When one waiting is tried again; null while it is being sent, and once delivered or failed. */
  nextAttemptAt: string | null;
  createdAt: string;
}

function viewOf(row: WebhookRow): WebhookView {
  return {
    id: row.id,
    url: row.url,
    events: JSON.parse(row.events) as string[],
    enabled: row.enabled === 1,
    disabledAt: iso(row.disabled_at === null ? null : Number(row.disabled_at)),
    createdAt: iso(Number(row.created_at)),
  };
}

/** A webhook of an organization the caller may manage; one of another organization does not exist for them. */
async function manageable(db: Db, actor: Actor, webhookId: string): Promise<WebhookRow> {
  const webhook = await findWebhook(db, webhookId);
  if (!webhook) throw new NotFound('Webhook');
  try {
    await authorizeOrgAction(db, actor, webhook.org_id, 'org.manageWebhooks');
  } catch (error) {
    if (error instanceof NotFound) throw new NotFound('Webhook');
    throw error;
  }
  return webhook;
}

/** Registers an endpoint for some or all event types; the secret is in this answer only. */
export async function createWebhook(
  ctx: Context,
  actor: Actor,
  orgId: string,
  input: { url: string; events: string[] },
): Promise<WebhookView & { secret: string }> {
  const actorId = actor.id;
  // Only a caller who may manage webhooks has the address checked; it resolves names, so outside the transaction.
  await authorizeOrgAction(ctx.db, actor, orgId, 'org.manageWebhooks');
  const url = await checkWebhookUrl(input.url, ctx.webhooks);
  const events = input.events.includes('*') ? ['*'] : [...new Set(input.events)];
  const now = ctx.clock.now();
  const row: WebhookRow = {
    id: ctx.random.id('whk'),
    org_id: orgId,
    url: url.toString(),
    events: JSON.stringify(events),
    secret: `whsec_${ctx.random.secret()}`,
    previous_secret: null,
    previous_secret_until: null,
    enabled: 1,
    failing_since: null,
    disabled_at: null,
    created_by: actorId,
    created_at: now,
  };
  await inTransaction(ctx, async (tx) => {
    // And again with the row it guards.
    await authorizeOrgAction(tx, actor, orgId, 'org.manageWebhooks');
    await insertWebhook(tx, row);
    await recordEvent(tx, ctx.random, {
      orgId,
      at: now,
      actorId,
      action: 'webhook.created',
      subject: `webhook:${row.id}`,
      after: { url: row.url, events },
    });
  });
  return { ...viewOf(row), secret: row.secret };
}

export async function listWebhooks(ctx: Context, actor: Actor, orgId: string): Promise<WebhookView[]> {
  await authorizeOrgAction(ctx.db, actor, orgId, 'org.manageWebhooks');
  return (await webhooksOfOrg(ctx.db, orgId)).map(viewOf);
}

export async function removeWebhook(ctx: Context, actor: Actor, webhookId: string): Promise<void> {
  await inTransaction(ctx, async (tx) => {
    const webhook = await manageable(tx, actor, webhookId);
    await deleteWebhook(tx, webhook.id);
    await recordEvent(tx, ctx.random, {
      orgId: webhook.org_id,
      at: ctx.clock.now(),
      actorId: actor.id,
      action: 'webhook.deleted',
      subject: `webhook:${webhook.id}`,
      before: { url: webhook.url, events: JSON.parse(webhook.events) },
    });
  });
}

/** Queues a `ping` event to this webhook alone (even a disabled one gets none: it is not sent to). */
export async function pingWebhook(ctx: Context, actor: Actor, webhookId: string): Promise<{ deliveryId: string }> {
  const deliveryId = await inTransaction(ctx, async (tx) => {
    const webhook = await manageable(tx, actor, webhookId);
    const now = ctx.clock.now();
    const body = JSON.stringify({
      id: ctx.random.id('evt'),
      type: 'ping',
      at: iso(now),
      orgId: webhook.org_id,
      actor: null,
      subject: `webhook:${webhook.id}`,
      before: null,
      after: null,
    });
    const id = await queueDelivery(tx, ctx.random, webhook, 'ping', body, now);
    await announceWebhooks(tx);
    return id;
  });
  return { deliveryId };
}

export async function listDeliveries(ctx: Context, actor: Actor, webhookId: string): Promise<DeliveryView[]> {
  const webhook = await manageable(ctx.db, actor, webhookId);
  return (await deliveriesOf(ctx.db, webhook.id, 200)).map((row) => ({
    id: row.id,
    event: row.event_type ?? 'unknown',
    status: row.status === 'sent' ? 'delivered' : row.status === 'failed' ? 'failed' : 'pending',
    attempts: Number(row.attempts),
    responseStatus: row.response_status === null ? null : Number(row.response_status),
    error: row.status === 'sent' ? null : row.last_error,
    nextAttemptAt: row.status === 'queued' ? iso(Number(row.next_attempt_at)) : null,
    createdAt: iso(Number(row.created_at)),
  }));
}

/** A new secret, shown once; the previous one keeps signing (a second v1) for a day. */
export async function rotateSecret(ctx: Context, actor: Actor, webhookId: string): Promise<{ secret: string }> {
  const secret = `whsec_${ctx.random.secret()}`;
  const now = ctx.clock.now();
  await inTransaction(ctx, async (tx) => {
    const webhook = await manageable(tx, actor, webhookId);
    await rotateWebhookSecret(tx, webhook.id, secret, webhook.secret, now + ROTATION_GRACE_MS);
    await recordEvent(tx, ctx.random, {
      orgId: webhook.org_id,
      at: now,
      actorId: actor.id,
      action: 'webhook.secret_rotated',
      subject: `webhook:${webhook.id}`,
      after: { previousSecretValidUntil: iso(now + ROTATION_GRACE_MS) },
    });
  });
  return { secret };
}
