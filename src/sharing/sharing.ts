import { authorizeDatasetAction } from '../access/authorize.js';
import { inForce } from '../access/check.js';
import { type Level, levelOf, rankOf } from '../access/levels.js';
import { tierAdmitsDirectGrant } from '../access/policy.js';
import { findUser, type User, userOf } from '../accounts/users.js';
import { recordEvent } from '../audit/record.js';
import { iso } from '../clock.js';
import { appLink, type Context, inTransaction } from '../context.js';
import { Conflict, InvalidRequest, NotFound } from '../errors.js';
import { invitationsWithInviter, invitationView } from '../invitations/model.js';
import { assertWithinSendLimit } from '../invitations/send.js';
import { queueMail } from '../mail/outbox.js';
import { grantNotificationMail } from '../mail/templates.js';
import { orgName } from '../orgs/orgs.js';
import { holdsGrantInOrg } from '../store/grants.js';
import { teamInOrg } from '../teams/teams.js';

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
  const now = ctx.clock.now();
  let query = ctx.db
    .selectFrom('user_grants as g')
    .innerJoin('datasets as d', 'd.id', 'g.dataset_id')
    .innerJoin('users as u', 'u.id', 'g.user_id')
    .leftJoin('org_members as m', (join) => join.onRef('m.org_id', '=', 'd.org_id').onRef('m.user_id', '=', 'g.user_id'))
    .leftJoin('users as gb', 'gb.id', 'g.granted_by')
    .select([
      'u.id',
      'u.email',
      'u.name',
      'u.email_verified',
      'g.level',
      'g.expires_at',
      'g.created_at',
      'g.granted_by',
      'gb.name as granted_by_name',
      'm.role',
      'd.visibility',
    ])
    .where('g.dataset_id', '=', datasetId)
    .where(inForce('g.expires_at', now));
  if (only) query = query.where('g.user_id', '=', only);
  const rows = await query.orderBy('u.name').orderBy('u.id').execute();
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

export async function getSharing(ctx: Context, actorId: string, datasetId: string) {
  const now = ctx.clock.now();
  const { dataset } = await authorizeDatasetAction(ctx.db, actorId, datasetId, 'dataset.share', now);
  const teams = await ctx.db
    .selectFrom('team_grants as tg')
    .innerJoin('teams as t', 't.id', 'tg.team_id')
    .leftJoin('users as gb', 'gb.id', 'tg.granted_by')
    .select((eb) => [
      't.id',
      't.name',
      'tg.level',
      'tg.expires_at',
      'tg.created_at',
      'tg.granted_by',
      'gb.name as granted_by_name',
      eb
        .selectFrom('team_members as tm')
        .select((c) => c.fn.countAll<number>().as('n'))
        .whereRef('tm.team_id', '=', 't.id')
        .as('member_count'),
    ])
    .where('tg.dataset_id', '=', datasetId)
    .where(inForce('tg.expires_at', now))
    .orderBy('t.name')
    .orderBy('t.id')
    .execute();
  const invitations = await invitationsWithInviter(ctx.db)
    .where('i.dataset_id', '=', datasetId)
    .where('i.status', 'in', ['pending', 'declined'])
    .orderBy('i.created_at', 'desc')
    .orderBy('i.id')
    .execute();
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
  actorId: string,
  datasetId: string,
  userId: string,
  input: { level: Level; expiresAt?: string | undefined },
): Promise<UserGrantView> {
  const now = ctx.clock.now();
  await inTransaction(ctx, async (tx) => {
    const { dataset } = await authorizeDatasetAction(tx, actorId, datasetId, 'dataset.share', now);
    const expiresAt = requireFuture(input.expiresAt, now);
    const grantee = await findUser(tx, userId);
    if (!grantee) throw new NotFound('User');
    const member = await tx
      .selectFrom('org_members')
      .select('role')
      .where('org_id', '=', dataset.org_id)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    // Outsiders come in by e-mail invitation; an id alone must not reach someone the org has never dealt with.
    if (!member && !(await holdsGrantInOrg(tx, dataset.org_id, userId))) throw new NotFound('User');
    if (!tierAdmitsDirectGrant(member !== undefined, dataset.visibility)) {
      throw new Conflict(
        'external_sharing_disabled',
        'This user is not a member of the organization, and the dataset is not shared with external accessors.',
        { userIds: [userId] },
      );
    }
    const previous = await tx
      .selectFrom('user_grants')
      .select(['level', 'expires_at'])
      .where('dataset_id', '=', datasetId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    const level = rankOf(input.level);
    const live = previous !== undefined && (previous.expires_at === null || previous.expires_at > now);
    const notify = userId !== actorId && (!live || previous.level !== level);
    if (notify) await assertWithinSendLimit(tx, actorId, 1, now);
    await tx
      .insertInto('user_grants')
      .values({
        dataset_id: datasetId,
        user_id: userId,
        level,
        expires_at: expiresAt,
        granted_by: actorId,
        created_at: now,
        last_used_at: null,
      })
      .onConflict((oc) => oc.columns(['dataset_id', 'user_id']).doUpdateSet({ level, expires_at: expiresAt, granted_by: actorId }))
      .execute();
    await recordEvent(tx, {
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

export async function revokeUserGrant(ctx: Context, actorId: string, datasetId: string, userId: string): Promise<void> {
  const now = ctx.clock.now();
  await inTransaction(ctx, async (tx) => {
    const { dataset } = await authorizeDatasetAction(tx, actorId, datasetId, 'dataset.share', now);
    const removed = await tx
      .deleteFrom('user_grants')
      .where('dataset_id', '=', datasetId)
      .where('user_id', '=', userId)
      .returning(['level', 'expires_at'])
      .executeTakeFirst();
    if (!removed) return;
    await recordEvent(tx, {
      orgId: dataset.org_id,
      at: now,
      actorId,
      action: 'grant.revoked',
      datasetId,
      subject: `user:${userId}`,
      before: { level: levelOf(removed.level), expiresAt: iso(removed.expires_at) },
    });
  });
}

export async function setTeamGrant(
  ctx: Context,
  actorId: string,
  datasetId: string,
  teamId: string,
  input: { level: Level; expiresAt?: string | undefined },
) {
  const now = ctx.clock.now();
  const level = rankOf(input.level);
  const { team, expiresAt } = await inTransaction(ctx, async (tx) => {
    const { dataset } = await authorizeDatasetAction(tx, actorId, datasetId, 'dataset.share', now);
    const expiresAt = requireFuture(input.expiresAt, now);
    const team = await teamInOrg(tx, teamId, dataset.org_id);
    if (!team) throw new NotFound('Team');
    const previous = await tx
      .selectFrom('team_grants')
      .select(['level', 'expires_at'])
      .where('dataset_id', '=', datasetId)
      .where('team_id', '=', teamId)
      .executeTakeFirst();
    await tx
      .insertInto('team_grants')
      .values({ dataset_id: datasetId, team_id: teamId, level, expires_at: expiresAt, granted_by: actorId, created_at: now })
      .onConflict((oc) => oc.columns(['dataset_id', 'team_id']).doUpdateSet({ level, expires_at: expiresAt, granted_by: actorId }))
      .execute();
    await recordEvent(tx, {
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

export async function revokeTeamGrant(ctx: Context, actorId: string, datasetId: string, teamId: string): Promise<void> {
  const now = ctx.clock.now();
  await inTransaction(ctx, async (tx) => {
    const { dataset } = await authorizeDatasetAction(tx, actorId, datasetId, 'dataset.share', now);
    const removed = await tx
      .deleteFrom('team_grants')
      .where('dataset_id', '=', datasetId)
      .where('team_id', '=', teamId)
      .returning(['level', 'expires_at'])
      .executeTakeFirst();
    if (!removed) return;
    await recordEvent(tx, {
      orgId: dataset.org_id,
      at: now,
      actorId,
      action: 'team_grant.revoked',
      datasetId,
      subject: `team:${teamId}`,
      before: { level: levelOf(removed.level), expiresAt: iso(removed.expires_at) },
    });
  });
}
