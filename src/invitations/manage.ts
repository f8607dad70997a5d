import { authorizeDatasetAction, authorizeOrgAction } from '../access/authorize.js';
import type { Actor } from '../access/scope.js';
import { type AuditAction, recordEvent } from '../audit/record.js';
import { iso } from '../clock.js';
import { type Context, inTransaction } from '../context.js';
import { Conflict, NotFound } from '../errors.js';
import { hashSecret } from '../secrets.js';
import type { Db } from '../store/database.js';
import { findDatasetTier } from '../store/datasets.js';
import { findInvitation, openInvitationsToOrg, updatePendingInvitation } from '../store/invitations.js';
import { dropUndeliveredForInvitation } from '../store/outbox.js';
import { INVITATION_LIFETIME_MS, type InvitationRow, type InvitationView, invitationView, statusOf } from './model.js';
import { assertInvitable, assertWithinSendLimit, mailExtension, mailInvitations, viewsOf } from './send.js';

/**
 * The invitation, if the actor administers what it offers: the dataset (dataset admins,
 * which includes org admins) or the org. Anyone else cannot tell it exists.
 */
async function administeredInvitation(ctx: Context, tx: Db, actor: Actor, invitationId: string): Promise<InvitationRow> {
  const row = await findInvitation(tx, invitationId);
  if (!row) throw new NotFound('Invitation');
  try {
    if (row.kind === 'dataset') await authorizeDatasetAction(tx, actor, row.dataset_id!, 'dataset.share', ctx.clock.now());
    else await authorizeOrgAction(tx, actor, row.org_id, 'org.manageInvitations');
  } catch (error) {
    if (error instanceof NotFound) throw new NotFound('Invitation');
    throw error;
  }
  return row;
}

function requirePending(row: InvitationRow, now: number): void {
  const status = statusOf(row, now);
  if (status !== 'pending' && status !== 'expired') {
    throw new Conflict('invitation_not_pending', `This invitation is ${status}; only pending or expired invitations can change.`);
  }
}

async function recordInvitationEvent(
  ctx: Context,
  tx: Context['db'],
  actor: Actor,
  row: InvitationRow,
  action: AuditAction,
  before: unknown,
  after: unknown,
) {
  await recordEvent(tx, ctx.random, {
    orgId: row.org_id,
    at: ctx.clock.now(),
    actorId: actor.id,
    action,
    datasetId: row.dataset_id,
    subject: `invitation:${row.id}`,
    before,
    after,
  });
}

/**
 * An organization's open invitations to join it (pending, expired and declined, newest first),
 * for its admins: what a dataset's sharing settings show for the dataset's invitations.
 */
export async function listOrgInvitations(ctx: Context, actor: Actor, orgId: string): Promise<InvitationView[]> {
  await authorizeOrgAction(ctx.db, actor, orgId, 'org.manageInvitations');
  const rows = await openInvitationsToOrg(ctx.db, orgId);
  const now = ctx.clock.now();
  return rows.map((row) => invitationView(row, now));
}

/**
 * While a dataset is closed to external accessors, an invitation to someone outside its
 * organization cannot be accepted: it is neither extended nor sent again (409).
 */
async function assertStillInvitable(tx: Db, row: InvitationRow): Promise<void> {
  if (row.kind !== 'dataset') return;
  const dataset = await findDatasetTier(tx, row.dataset_id!);
  // A dataset deleted meanwhile took its invitations with it: the update that follows says so.
  if (dataset) await assertInvitable(tx, dataset, [row.email]);
}

/** Same link, 72 hours from now; works on pending and expired invitations. */
export async function extendInvitation(ctx: Context, actor: Actor, invitationId: string): Promise<InvitationView> {
  const id = await inTransaction(ctx, async (tx) => {
    const row = await administeredInvitation(ctx, tx, actor, invitationId);
    const now = ctx.clock.now();
    requirePending(row, now);
    const expiresAt = now + INVITATION_LIFETIME_MS;
    await assertStillInvitable(tx, row);
    if (!(await updatePendingInvitation(tx, row.id, { expires_at: expiresAt })))
      throw new Conflict('invitation_not_pending', 'This invitation is no longer pending.');
    await recordInvitationEvent(
      ctx,
      tx,
      actor,
      row,
      'invitation.extended',
      { expiresAt: iso(row.expires_at) },
      { expiresAt: iso(expiresAt) },
    );
    await mailExtension(ctx, tx, row, actor.id, expiresAt);
    return row.id;
  });
  return (await viewsOf(ctx, [id]))[0]!;
}

/** A new link with a fresh 72 hours; the old link dies with its hash. */
export async function resendInvitation(ctx: Context, actor: Actor, invitationId: string): Promise<InvitationView> {
  const id = await inTransaction(ctx, async (tx) => {
    const row = await administeredInvitation(ctx, tx, actor, invitationId);
    const now = ctx.clock.now();
    requirePending(row, now);
    const token = ctx.random.secret();
    const next: InvitationRow = {
      ...row,
      token_hash: hashSecret(token),
      expires_at: now + INVITATION_LIFETIME_MS,
      delivery: 'queued',
      last_error: null,
    };
    // A resend mails a link like a new invitation: the same send limit and the same tier rule.
    await assertWithinSendLimit(tx, actor.id, 1, now);
    await assertStillInvitable(tx, row);
    const renewed = { token_hash: next.token_hash, expires_at: next.expires_at, delivery: 'queued' as const, last_error: null };
    if (!(await updatePendingInvitation(tx, row.id, renewed)))
      throw new Conflict('invitation_not_pending', 'This invitation is no longer pending.');
    await recordInvitationEvent(
      ctx,
      tx,
      actor,
      row,
      'invitation.resent',
      { expiresAt: iso(row.expires_at) },
      { expiresAt: iso(next.expires_at) },
    );
    await mailInvitations(ctx, tx, [{ row: next, token }]);
    return row.id;
  });
  return (await viewsOf(ctx, [id]))[0]!;
}

/** Kills a pending (or expired) invitation. An accepted one cannot be revoked: its grant can. */
export async function revokeInvitation(ctx: Context, actor: Actor, invitationId: string): Promise<void> {
  await inTransaction(ctx, async (tx) => {
    const row = await administeredInvitation(ctx, tx, actor, invitationId);
    if (row.status === 'revoked') return;
    requirePending(row, ctx.clock.now());
    if (!(await updatePendingInvitation(tx, row.id, { status: 'revoked' })))
      throw new Conflict('invitation_not_pending', 'This invitation is no longer pending.');
    await recordInvitationEvent(ctx, tx, actor, row, 'invitation.revoked', { status: 'pending' }, { status: 'revoked' });
    await dropUndeliveredForInvitation(tx, row.id);
  });
}
