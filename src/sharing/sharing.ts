import { authorizeDatasetAction } from '../access/authorize.js';
import { type Level, levelOf, rankOf } from '../access/levels.js';
import { tierAdmitsDirectGrant } from '../access/policy.js';
import type { Actor } from '../access/scope.js';
import { recordEvent } from '../audit/record.js';
import { iso } from '../clock.js';
import { appLink, type Context, inTransaction } from '../context.js';
import { Conflict, InvalidRequest, NotFound } from '../errors.js';
import { invitationView } from '../invitations/model.js';
import { assertWithinSendLimit } from '../invitations/send.js';
import { queueMail } from '../mail/outbox.js';
import { grantNotificationMail } from '../mail/templates.js';
import {
  deleteTeamGrant,
  deleteUserGrant,
  findTeamGrant,
  findUserGrant,
  holdsGrantInOrg,
  isInForce,
  putTeamGrant,
  putUserGrant,
  teamGrantsOnDataset,
  userGrantsOnDataset,
} from '../store/grants.js';
import { openInvitationsToDataset } from '../store/invitations.js';
import { findMembership } from '../store/memberships.js';
import { orgName } from '../store/orgs.js';
import { findTeamInOrg } from '../store/teams.js';
import { findUser, type User, userOf } from '../store/users.js';

export interface UserGrantView {
  user: User;
  level: Level;
  external: boolean;
  /** False for a dormant grant: an external accessor's grant while the tier is not "external". */
  active: boolean;
  expiresAt: string | null;
  grantedBy: { id: string; name: string } | null;
  createdAt: string;
}

function requireFuture(expiresAt: string | undefined, now: number): number | null {
  if (expiresAt === undefined) return null;
  const ms = Date.parse(expiresAt);
  if (Number.isNaN(ms)) throw new InvalidRequest('expiresAt must be an ISO-8601 time.', { field: 'expiresAt' });
  if (ms <= now) throw new InvalidRequest('expiresAt must be in the future.', { field: 'expiresAt' });
  return ms;
}

async function userGrantViews(ctx: Context, datasetId: string, only?: string): Promise<UserGrantView[]> {
  const rows = await userGrantsOnDataset(ctx.db, datasetId, ctx.clock.now(), only);
  return rows.map((r) => {
    const external = r.role === null;
    return {
      user: userOf(r),
      level: levelOf(r.level) ?? 'read',
      external,
      active: tierAdmitsDirectGrant(!external, r.visibility),
      expiresAt: iso(r.expires_at),
      grantedBy: r.granted_by ? { id: r.granted_by, name: r.granted_by_name ?? '' } : null,
      createdAt: iso(r.created_at),
    };
  });
}

export async function getSharing(ctx: Context, actor: Actor, datasetId: string) {
  const now = ctx.clock.now();
  const { dataset } = await authorizeDatasetAction(ctx.db, actor, datasetId, 'dataset.share', now);
  const teams = await teamGrantsOnDataset(ctx.db, datasetId, now);
  const invitations = await openInvitationsToDataset(ctx.db, datasetId);
  return {
    visibility: dataset.visibility,
    users: await userGrantViews(ctx, datasetId),
    teams: teams.map((t) => ({
      team: { id: t.id, name: t.name, memberCount: Number(t.member_count ?? 0) },
      level: levelOf(t.level) ?? 'read',
      expiresAt: iso(t.expires_at),
      grantedBy: t.granted_by ? { id: t.granted_by, name: t.granted_by_name ?? '' } : null,
      createdAt: iso(t.created_at),
    })),
    invitations: invitations.map((row) => invitationView(row, now)),
  };
}

export async function setUserGrant(
  ctx: Context,
  actor: Actor,
  datasetId: string,
  userId: string,
  input: { level: Level; expiresAt?: string | undefined },
): Promise<UserGrantView> {
  const actorId = actor.id;
  const now = ctx.clock.now();
  await inTransaction(ctx, async (tx) => {
    const { dataset } = await authorizeDatasetAction(tx, actor, datasetId, 'dataset.share', now);
    const expiresAt = requireFuture(input.expiresAt, now);
    const grantee = await findUser(tx, userId);
    if (!grantee) throw new NotFound('User');
    const member = await findMembership(tx, dataset.org_id, userId);
    // Outsiders come in by e-mail invitation; an id alone must not reach someone the org has never dealt with.
    if (!member && !(await holdsGrantInOrg(tx, dataset.org_id, userId))) throw new NotFound('User');
    if (!tierAdmitsDirectGrant(member !== undefined, dataset.visibility)) {
      throw new Conflict(
        'external_sharing_disabled',
        'This user is not a member of the organization, and the dataset is not shared with external accessors.',
        { userIds: [userId] },
      );
    }
    const previous = await findUserGrant(tx, datasetId, userId);
    const level = rankOf(input.level);
    const live = previous !== undefined && isInForce(previous.expires_at, now);
    const notify = userId !== actorId && (!live || previous.level !== level);
    if (notify) await assertWithinSendLimit(tx, actorId, 1, now);
    await putUserGrant(tx, { datasetId, userId, level, expiresAt, grantedBy: actorId, at: now });
    await recordEvent(tx, ctx.random, {
      orgId: dataset.org_id,
      at: now,
      actorId,
      action: 'grant.set',
      datasetId,
      subject: `user:${userId}`,
      before: previous ? { level: levelOf(previous.level), expiresAt: iso(previous.expires_at) } : null,
      after: { level: input.level, expiresAt: iso(expiresAt), ...(notify ? { notified: true } : {}) },
    });
    if (notify) {
      const granter = await findUser(tx, actorId);
      const notice = grantNotificationMail({
        to: grantee.email,
        granterName: granter?.name ?? 'Someone',
        datasetName: dataset.name,
        orgName: await orgName(tx, dataset.org_id),
        level: input.level,
        link: appLink(ctx, `/datasets/${datasetId}`),
        expiresAt,
      });
      await queueMail(ctx, tx, notice, { orgId: dataset.org_id });
    }
  });
  return (await userGrantViews(ctx, datasetId, userId))[0]!;
}

export async function revokeUserGrant(ctx: Context, actor: Actor, datasetId: string, userId: string): Promise<void> {
  const now = ctx.clock.now();
  await inTransaction(ctx, async (tx) => {
    const { dataset } = await authorizeDatasetAction(tx, actor, datasetId, 'dataset.share', now);
    const removed = await deleteUserGrant(tx, datasetId, userId);
    if (!removed) return;
    await recordEvent(tx, ctx.random, {
      orgId: dataset.org_id,
      at: now,
      actorId: actor.id,
      action: 'grant.revoked',
      datasetId,
      subject: `user:${userId}`,
      before: { level: levelOf(removed.level), expiresAt: iso(removed.expires_at) },
    });
  });
}

export async function setTeamGrant(
  ctx: Context,
  actor: Actor,
  datasetId: string,
  teamId: string,
  input: { level: Level; expiresAt?: string | undefined },
) {
  const actorId = actor.id;
  const now = ctx.clock.now();
  const level = rankOf(input.level);
  const { team, expiresAt } = await inTransaction(ctx, async (tx) => {
    const { dataset } = await authorizeDatasetAction(tx, actor, datasetId, 'dataset.share', now);
    const expiresAt = requireFuture(input.expiresAt, now);
    const team = await findTeamInOrg(tx, teamId, dataset.org_id);
    if (!team) throw new NotFound('Team');
    const previous = await findTeamGrant(tx, datasetId, teamId);
    await putTeamGrant(tx, { datasetId, teamId, level, expiresAt, grantedBy: actorId, at: now });
    await recordEvent(tx, ctx.random, {
      orgId: dataset.org_id,
      at: now,
      actorId,
      action: 'team_grant.set',
      datasetId,
      subject: `team:${teamId}`,
      before: previous ? { level: levelOf(previous.level), expiresAt: iso(previous.expires_at) } : null,
      after: { level: input.level, expiresAt: iso(expiresAt) },
    });
    return { team, expiresAt };
  });
  return { team: { id: team.id, name: team.name }, level: input.level, expiresAt: iso(expiresAt) };
}

export async function revokeTeamGrant(ctx: Context, actor: Actor, datasetId: string, teamId: string): Promise<void> {
  const now = ctx.clock.now();
  await inTransaction(ctx, async (tx) => {
    const { dataset } = await authorizeDatasetAction(tx, actor, datasetId, 'dataset.share', now);
    const removed = await deleteTeamGrant(tx, datasetId, teamId);
    if (!removed) return;
    await recordEvent(tx, ctx.random, {
      orgId: dataset.org_id,
      at: now,
      actorId: actor.id,
      action: 'team_grant.revoked',
      datasetId,
      subject: `team:${teamId}`,
      before: { level: levelOf(removed.level), expiresAt: iso(removed.expires_at) },
    });
  });
}
