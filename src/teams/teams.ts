import { authorizeOrgAction } from '../access/authorize.js';
import { levelOf } from '../access/levels.js';
import type { Actor } from '../access/scope.js';
import { recordEvent, recordEvents } from '../audit/record.js';
import { iso } from '../clock.js';
import { type Context, inTransaction } from '../context.js';
import { Conflict, DomainError, NotFound } from '../errors.js';
import { requireName } from '../orgs/orgs.js';
import type { Random } from '../secrets.js';
import type { Db } from '../store/database.js';
import { deleteGrantsOfTeam } from '../store/grants.js';
import { findMembership } from '../store/memberships.js';
import {
  addTeamMembership,
  deleteTeamMembership,
  deleteTeamRow,
  findTeam,
  insertTeamRow,
  membersOfTeam,
  renameTeamRow,
  type TeamRecord,
  teamNameTaken,
  teamsOfOrg,
} from '../store/teams.js';
import { type User, userOf } from '../store/users.js';

export type Team = TeamRecord;

/** A team is visible to members of its org only; anyone else gets 404. */
async function visibleTeam(db: Db, actor: Actor, teamId: string): Promise<Team> {
  const team = await findTeam(db, teamId);
  if (!team) throw new NotFound('Team');
  await authorizeOrgAction(db, actor, team.orgId, 'org.read').catch(() => {
    throw new NotFound('Team');
  });
  return team;
}

async function administeredTeam(tx: Db, actor: Actor, teamId: string): Promise<Team> {
  const team = await visibleTeam(tx, actor, teamId);
  await authorizeOrgAction(tx, actor, team.orgId, 'org.manageTeams');
  return team;
}

const TAKEN = () => new Conflict('team_name_taken', 'The organization already has a team with this name.');

export async function createTeam(ctx: Context, actor: Actor, orgId: string, rawName: string): Promise<Team> {
  let team: Team | undefined;
  await nameRace(
    ctx,
    () => team,
    () =>
      inTransaction(ctx, async (tx) => {
        await authorizeOrgAction(tx, actor, orgId, 'org.manageTeams');
        team = { id: ctx.random.id('team'), orgId, name: requireName(rawName, 'team') };
        await insertTeam(tx, ctx.random, team, actor.id, ctx.clock.now());
      }),
  );
  return team!;
}

/**
 * Two racing creates or renames: the unique constraint decides, and the loser hears the same
 * answer. `named` is the team as it was to be named, once the change got that far.
 */
export async function nameRace<T>(ctx: Context, named: () => Team | undefined, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const team = named();
    if (!(error instanceof DomainError) && team && (await teamNameTaken(ctx.db, team.orgId, team.name, team.id))) throw TAKEN();
    throw error;
  }
}

/** Creates the team in the caller's transaction; the actor is a user, or a SCIM token's id. */
export async function insertTeam(tx: Db, random: Random, team: Team, actorId: string | null, at: number): Promise<void> {
  if (await teamNameTaken(tx, team.orgId, team.name)) throw TAKEN();
  await insertTeamRow(tx, team, at);
  await recordEvent(tx, random, {
    orgId: team.orgId,
    at,
    actorId,
    action: 'team.created',
    subject: `team:${team.id}`,
    after: { name: team.name },
  });
}

export async function listTeams(ctx: Context, actor: Actor, orgId: string) {
  await authorizeOrgAction(ctx.db, actor, orgId, 'org.read');
  const rows = await teamsOfOrg(ctx.db, orgId);
  return rows.map((r) => ({ id: r.id, name: r.name, memberCount: Number(r.member_count ?? 0) }));
}

export async function getTeam(ctx: Context, actor: Actor, teamId: string): Promise<Team & { members: User[] }> {
  const team = await visibleTeam(ctx.db, actor, teamId);
  const rows = await membersOfTeam(ctx.db, teamId);
  return { ...team, members: rows.map(userOf) };
}

export async function renameTeam(ctx: Context, actor: Actor, teamId: string, rawName: string): Promise<Team> {
  let renamed: Team | undefined;
  await nameRace(
    ctx,
    () => renamed,
    () =>
      inTransaction(ctx, async (tx) => {
        const team = await administeredTeam(tx, actor, teamId);
        renamed = { ...team, name: requireName(rawName, 'team') };
        await renameTeamIn(tx, ctx.random, team, renamed.name, actor.id, ctx.clock.now());
      }),
  );
  return renamed!;
}

export async function renameTeamIn(tx: Db, random: Random, team: Team, name: string, actorId: string | null, at: number): Promise<void> {
  if (name === team.name) return;
  if (await teamNameTaken(tx, team.orgId, name, team.id)) throw TAKEN();
  await renameTeamRow(tx, team.id, name);
  await recordEvent(tx, random, {
    orgId: team.orgId,
    at,
    actorId,
    action: 'team.renamed',
    subject: `team:${team.id}`,
    before: { name: team.name },
    after: { name },
  });
}

/** Deleting a team drops its memberships and every grant it held. */
export async function deleteTeam(ctx: Context, actor: Actor, teamId: string): Promise<void> {
  await inTransaction(ctx, async (tx) => dropTeam(tx, ctx.random, await administeredTeam(tx, actor, teamId), actor.id, ctx.clock.now()));
}

export async function dropTeam(tx: Db, random: Random, team: Team, actorId: string | null, at: number): Promise<void> {
  const teamId = team.id;
  const grants = await deleteGrantsOfTeam(tx, teamId);
  await deleteTeamRow(tx, teamId);
  // Each dataset's history shows the team's access ending, as a revoke would.
  await recordEvents(
    tx,
    random,
    grants.map((g) => ({
      orgId: team.orgId,
      at,
      actorId,
      action: 'team_grant.revoked' as const,
      datasetId: g.dataset_id,
      subject: `team:${teamId}`,
      before: { level: levelOf(g.level), expiresAt: iso(g.expires_at) },
      after: { teamDeleted: true },
    })),
  );
  await recordEvent(tx, random, {
    orgId: team.orgId,
    at,
    actorId,
    action: 'team.deleted',
    subject: `team:${teamId}`,
    before: { name: team.name, grants: grants.length },
  });
}

export async function addTeamMember(ctx: Context, actor: Actor, teamId: string, userId: string): Promise<void> {
  await inTransaction(ctx, async (tx) =>
    joinTeam(tx, ctx.random, await administeredTeam(tx, actor, teamId), userId, actor.id, ctx.clock.now()),
  );
}

/** Adds an org member to the team (nothing is recorded if they were in it already). */
export async function joinTeam(tx: Db, random: Random, team: Team, userId: string, actorId: string | null, at: number): Promise<void> {
  const teamId = team.id;
  const member = await findMembership(tx, team.orgId, userId);
  if (!member) throw new Conflict('not_a_member', 'Only members of the organization can join its teams.');
  if (await addTeamMembership(tx, teamId, userId, at)) {
    await recordEvent(tx, random, {
      orgId: team.orgId,
      at,
      actorId,
      action: 'team.member_added',
      subject: `user:${userId}`,
      after: { teamId },
    });
  }
}

/** Takes a user out of a team: 204 whether or not they were in it (nothing is recorded if not). */
export async function removeTeamMember(ctx: Context, actor: Actor, teamId: string, userId: string): Promise<void> {
  await inTransaction(ctx, async (tx) =>
    leaveTeam(tx, ctx.random, await administeredTeam(tx, actor, teamId), userId, actor.id, ctx.clock.now()),
  );
}

export async function leaveTeam(tx: Db, random: Random, team: Team, userId: string, actorId: string | null, at: number): Promise<void> {
  // Like revoking a grant: removing someone who is not in the team is done already, and changes nothing.
  if (!(await deleteTeamMembership(tx, team.id, userId))) return;
  await recordEvent(tx, random, {
    orgId: team.orgId,
    at,
    actorId,
    action: 'team.member_removed',
    subject: `user:${userId}`,
    before: { teamId: team.id },
  });
}
