import { type Level, levelOf, type OrgRole } from '../access/levels.js';
import { tierAdmitsDirectGrant } from '../access/policy.js';
import { recordEvent } from '../audit/record.js';
import { iso } from '../clock.js';
import { type Context, inTransaction } from '../context.js';
import { Conflict, Forbidden, Gone, NotFound } from '../errors.js';
import { hashSecret } from '../secrets.js';
import type { Db } from '../store/database.js';
import { datasetName, datasetTier, findDatasetTier } from '../store/datasets.js';
import { findUserGrant, holdsGrantInForce, putUserGrant } from '../store/grants.js';
import { findInvitation, findInvitationByTokenHash, redeemInvitationRow } from '../store/invitations.js';
import { addMembership, findMembership, updateMembership } from '../store/memberships.js';
import { orgName } from '../store/orgs.js';
import { accountExists, markEmailVerified, type User, userName } from '../store/users.js';
import { type InvitationRow, statusOf } from './model.js';

async function findByToken(db: Db, token: string): Promise<InvitationRow | null> {
  const row = await findInvitationByTokenHash(db, hashSecret(token));
  return row ?? null;
}

/** What anyone holding the link may see, and nothing else. */
export async function lookupInvitation(ctx: Context, token: string) {
  const row = await findByToken(ctx.db, token);
  if (!row) throw new NotFound('Invitation');
  const org = await orgName(ctx.db, row.org_id);
  const inviter = await userName(ctx.db, row.invited_by);
  const dataset = row.dataset_id ? await datasetName(ctx.db, row.dataset_id) : undefined;
  // The invitee knows whether their own address has an account; the page uses it to lead with log-in.
  const accountFound = await accountExists(ctx.db, row.email);
  return {
    kind: row.kind,
    email: row.email,
    ...(row.level !== null ? { level: levelOf(row.level) ?? 'read' } : {}),
    ...(row.role !== null ? { role: row.role } : {}),
    ...(dataset ? { datasetName: dataset.name } : {}),
    orgName: org,
    invitedBy: { name: inviter?.name ?? '' },
    status: statusOf(row, ctx.clock.now()),
    expiresAt: iso(row.expires_at),
    accountExists: accountFound,
  };
}

function refusal(row: InvitationRow, now: number): Gone | null {
  switch (statusOf(row, now)) {
    case 'expired':
      return new Gone('invitation_expired', 'This invitation has expired. Ask the person who shared it to extend or resend it.');
    case 'revoked':
      return new Gone('invitation_revoked', 'This invitation was withdrawn by the person who sent it.');
    case 'declined':
      return new Gone('invitation_declined', 'This invitation was declined, so the link no longer works.');
    case 'accepted':
      return new Gone('invitation_used', 'This invitation has already been used.');
    default:
      return null;
  }
}

/**
 * Checks that a link can be redeemed by `email` before an account is made for it
 * (sign-up from an invitation): the address must be the invited one.
 */
export async function assertRedeemableBy(ctx: Context, token: string, email: string): Promise<void> {
  const row = await findByToken(ctx.db, token);
  if (!row) throw new NotFound('Invitation');
  if (row.email !== email) {
    throw new Forbidden(`This invitation was sent to ${row.email}. Sign up with that address.`, 'invitation_email_mismatch');
  }
  const refused = refusal(row, ctx.clock.now());
  if (refused) throw refused;
  // A new account belongs to no organization: it can only take up a dataset invitation while the
  // dataset is shared with external accessors. Refused here, before any account is made.
  if (row.kind === 'dataset') {
    const dataset = await findDatasetTier(ctx.db, row.dataset_id!);
    if (!dataset || !tierAdmitsDirectGrant(false, dataset.visibility)) throw externalSharingDisabled();
  }
}

function externalSharingDisabled(): Conflict {
  return new Conflict(
    'external_sharing_disabled',
    'This dataset is no longer shared outside its organization, so the invitation cannot be accepted now. Ask the person who shared it.',
  );
}

export interface Accepted {
  kind: 'dataset' | 'org';
  datasetId?: string;
  orgId: string;
  level?: Level;
  role?: OrgRole;
}

function acceptedView(row: InvitationRow): Accepted {
  return {
    kind: row.kind,
    ...(row.dataset_id ? { datasetId: row.dataset_id } : {}),
    orgId: row.org_id,
    ...(row.level !== null ? { level: levelOf(row.level)! } : {}),
    ...(row.role !== null ? { role: row.role } : {}),
  };
}

/**
 * Does what this user's earlier accept created still stand (a revoked or ended grant does not)?
 * Then a repeat accept is a no-op.
 */
async function acceptanceStands(db: Db, row: InvitationRow, userId: string, now: number): Promise<boolean> {
  if (row.accepted_by !== userId) return false;
  if (row.kind === 'dataset') {
    return holdsGrantInForce(db, row.dataset_id!, userId, now);
  }
  const member = await findMembership(db, row.org_id, userId);
  return member !== undefined;
}

async function grantInvitedAccess(ctx: Pick<Context, 'random'>, tx: Db, row: InvitationRow, user: User, now: number): Promise<void> {
  const event = { orgId: row.org_id, at: now, actorId: user.id, datasetId: row.dataset_id };
  if (row.kind === 'org') {
    const existing = await findMembership(tx, row.org_id, user.id);
    // Joined some other way meanwhile: the invitation can only raise the role, never lower it.
    if (existing) {
      if (existing.role === 'member' && row.role === 'admin') {
        await updateMembership(tx, row.org_id, user.id, { role: 'admin' });
        await recordEvent(tx, ctx.random, {
          ...event,
          action: 'member.updated',
          subject: `user:${user.id}`,
          before: { role: 'member' },
          after: { role: 'admin', invitationId: row.id },
        });
      }
      return;
    }
    await addMembership(tx, row.org_id, user.id, row.role ?? 'member', now);
    await recordEvent(tx, ctx.random, {
      ...event,
      action: 'member.added',
      subject: `user:${user.id}`,
      after: { role: row.role, invitationId: row.id },
    });
    return;
  }
  const datasetId = row.dataset_id!;
  const dataset = await datasetTier(tx, datasetId);
  const member = await findMembership(tx, dataset.org_id, user.id);
  if (!tierAdmitsDirectGrant(member !== undefined, dataset.visibility)) throw externalSharingDisabled();
  const before = await findUserGrant(tx, datasetId, user.id);
  await putUserGrant(tx, { datasetId, userId: user.id, level: row.level!, expiresAt: null, grantedBy: row.invited_by, at: now });
  await recordEvent(tx, ctx.random, {
    ...event,
    actorId: row.invited_by,
    action: 'grant.set',
    subject: `user:${user.id}`,
    before: before ? { level: levelOf(before.level), expiresAt: iso(before.expires_at) } : null,
    after: { level: levelOf(row.level!), expiresAt: null, via: `invitation:${row.id}` },
  });
}

/**
 * Redeems a link for the logged-in user, once. Claiming is a single conditional UPDATE, so
 * racing accepts produce exactly one grant; the loser sees the winner's acceptance.
 */
export function acceptInvitation(ctx: Context, user: User, token: string): Promise<Accepted> {
  return inTransaction(ctx, (tx) => acceptInvitationIn(ctx, tx, user, token));
}

/** The accept inside the caller's transaction: sign-up from an invitation makes the account in the same one. */
export async function acceptInvitationIn(ctx: Pick<Context, 'clock' | 'random'>, tx: Db, user: User, token: string): Promise<Accepted> {
  const row = await findByToken(tx, token);
  if (!row) throw new NotFound('Invitation');
  if (row.email !== user.email) {
    throw new Forbidden(`This invitation was sent to ${row.email}, but you are logged in as ${user.email}.`, 'invitation_email_mismatch');
  }
  const now = ctx.clock.now();
  const claimed = await redeemInvitationRow(tx, row, { status: 'accepted', accepted_at: now, accepted_by: user.id }, now);
  if (!claimed) {
    const current = await findInvitation(tx, row.id);
    if (!current || current.token_hash !== row.token_hash) throw new NotFound('Invitation');
    if (current.status === 'accepted' && (await acceptanceStands(tx, current, user.id, now))) return acceptedView(current);
    throw refusal(current, now) ?? new Gone('invitation_used', 'This invitation has already been used.');
  }
  await grantInvitedAccess(ctx, tx, row, user, now);
  // Redeeming a link sent to the address proves the mailbox.
  await markEmailVerified(tx, user.id);
  await recordEvent(tx, ctx.random, {
    orgId: row.org_id,
    at: now,
    actorId: user.id,
    action: 'invitation.accepted',
    datasetId: row.dataset_id,
    subject: `invitation:${row.id}`,
    before: { status: 'pending' },
    after: { status: 'accepted' },
  });
  return acceptedView(row);
}

/** Anyone holding the link may turn it down; the link is dead afterwards. */
export async function declineInvitation(ctx: Context, token: string): Promise<void> {
  const row = await findByToken(ctx.db, token);
  if (!row) throw new NotFound('Invitation');
  if (row.status === 'declined') return;
  await inTransaction(ctx, async (tx) => {
    const now = ctx.clock.now();
    const declined = await redeemInvitationRow(tx, row, { status: 'declined' }, now);
    if (!declined) {
      const current = (await findInvitation(tx, row.id))!;
      throw refusal(current, now) ?? new Gone('invitation_used', 'This invitation has already been used.');
    }
    await recordEvent(tx, ctx.random, {
      orgId: row.org_id,
      at: now,
      actorId: null,
      action: 'invitation.declined',
      datasetId: row.dataset_id,
      subject: `invitation:${row.id}`,
      before: { status: 'pending' },
      after: { status: 'declined' },
    });
  });
}
