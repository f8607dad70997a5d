import { authorizeOrgAction } from '../access/authorize.js';
import type { Actor } from '../access/scope.js';
import { iso } from '../clock.js';
import type { Context } from '../context.js';
import { NotFound } from '../errors.js';
import { markInvitationQueued } from '../store/invitations.js';
import { makeDueNow, undeliveredInvitationMail, undeliveredInvitationMessage } from '../store/outbox.js';

export interface UndeliveredMailView {
  id: string;
  invitationId: string;
  invitationKind: 'dataset' | 'org';
  datasetId: string | null;
  email: string;
  /** `queued`: waiting for its next attempt; `sending`: under way; `failed`: given up after a day of retries. */
  status: 'queued' | 'sending' | 'failed';
  attempts: number;
  /** Why the last attempt failed, in words; null before the first attempt. */
  reason: string | null;
  queuedAt: string;
  nextAttemptAt: string | null;
}

type Row = Awaited<ReturnType<typeof undeliveredInvitationMail>>[number];

function viewOf(row: Row): UndeliveredMailView {
  return {
    id: row.id,
    invitationId: row.invitation_id,
    invitationKind: row.invitation_kind,
    datasetId: row.dataset_id,
    email: row.recipient,
    status: row.status as UndeliveredMailView['status'],
    attempts: Number(row.attempts),
    reason: row.last_error,
    queuedAt: iso(Number(row.created_at)),
    nextAttemptAt: row.status === 'queued' ? iso(Number(row.next_attempt_at)) : null,
  };
}

/** The organization's invitation e-mails that have not left yet, for its admins. */
export async function listUndeliveredMail(ctx: Context, actor: Actor, orgId: string): Promise<UndeliveredMailView[]> {
  await authorizeOrgAction(ctx.db, actor, orgId, 'org.manageInvitations');
  return (await undeliveredInvitationMail(ctx.db, orgId)).map(viewOf);
}

/** "Retry now": the message is due at once, with a fresh day of retries; one under way is left as it is. */
export async function retryMailNow(ctx: Context, actor: Actor, orgId: string, messageId: string): Promise<UndeliveredMailView> {
  await authorizeOrgAction(ctx.db, actor, orgId, 'org.manageInvitations');
  // Answered from what the transaction read and wrote: once it commits, any instance may send the
  // message at once, and it leaves this list.
  const row = await ctx.db.transaction().execute(async (tx) => {
    const message = await undeliveredInvitationMessage(tx, orgId, messageId);
    if (!message) return undefined;
    const now = ctx.delivery.now();
    // Being sent (claimed since it was read, perhaps): as it is.
    if (!(await makeDueNow(tx, messageId, now))) return undeliveredInvitationMessage(tx, orgId, messageId);
    await markInvitationQueued(tx, message.invitation_id);
    await ctx.delivery.announce(tx);
    return { ...message, status: 'queued' as const, next_attempt_at: now, created_at: now };
  });
  if (!row) throw new NotFound('Message');
  return viewOf(row);
}
