import type { Random } from '../secrets.js';
import { insertAuditEvents } from '../store/audit.js';
import type { Db } from '../store/database.js';
import { enqueueWebhookDeliveries } from '../webhooks/enqueue.js';

export type AuditAction =
  | 'dataset.created'
  | 'dataset.renamed'
  | 'dataset.visibility_changed'
  | 'dataset.deleted'
  | 'grant.set'
  | 'grant.revoked'
  | 'team_grant.set'
  | 'team_grant.revoked'
  | 'invitation.created'
  | 'invitation.extended'
  | 'invitation.resent'
  | 'invitation.revoked'
  | 'invitation.accepted'
  | 'invitation.declined'
  | 'member.added'
  | 'member.updated'
  | 'member.removed'
  | 'team.created'
  | 'team.renamed'
  | 'team.deleted'
  | 'team.member_added'
  | 'team.member_removed'
  | 'dataset.processed'
  | 'link.created'
  | 'link.revoked'
  | 'link.redeemed'
  | 'scim_token.created'
  | 'scim_token.revoked'
  | 'webhook.created'
  | 'webhook.deleted'
  | 'webhook.secret_rotated'
  | 'webhook.disabled';

export interface AuditEvent {
  orgId: string;
  at: number;
  /** A user's id, or the id of the SCIM token through which the organization's directory acted. */
  actorId: string | null;
  action: AuditAction;
  datasetId?: string | null;
  /** What the change is about, e.g. "user:usr_…", "team:team_…", "invitation:inv_…". */
  subject: string;
  before?: unknown;
  after?: unknown;
}

/**
 * Appends an event. Call it inside the transaction that makes the change it describes; its id
 * (and those of its webhook deliveries) come from `random`, the instance's (`ctx.random`).
 */
export async function recordEvent(tx: Db, random: Random, event: AuditEvent): Promise<void> {
  await recordEvents(tx, random, [event]);
}

/** Appends several events, for a change that ends several accesses at once (in its transaction). */
export async function recordEvents(tx: Db, random: Random, events: AuditEvent[]): Promise<void> {
  const rows = events.map((event) => ({
    id: random.sortableId('evt', event.at),
    org_id: event.orgId,
    at: event.at,
    actor_id: event.actorId,
    action: event.action,
    dataset_id: event.datasetId ?? null,
    subject: event.subject,
    before: event.before === undefined ? null : JSON.stringify(event.before),
    after: event.after === undefined ? null : JSON.stringify(event.after),
  }));
  await insertAuditEvents(tx, rows);
  // Every event of an organization goes to its webhooks, durably, in this same transaction.
  await enqueueWebhookDeliveries(tx, random, rows);
}
