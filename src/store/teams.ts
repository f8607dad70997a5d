import type { Db } from './database.js';

/** The organization's teams the user belongs to, by name. */
export async function teamsOfUserInOrg(db: Db, orgId: string, userId: string): Promise<{ id: string; name: string }[]> {
  return db
    .selectFrom('team_members as tm')
    .innerJoin('teams as t', 't.id', 'tm.team_id')
    .select(['t.id', 't.name'])
    .where('tm.user_id', '=', userId)
    .where('t.org_id', '=', orgId)
    .orderBy('t.name')
    .orderBy('t.id')
    .execute();
}

export interface TeamRecord {
  id: string;
  orgId: string;
  name: string;
}

export async function findTeam(db: Db, teamId: string): Promise<TeamRecord | null> {
  const row = await db.selectFrom('teams').select(['id', 'org_id', 'name']).where('id', '=', teamId).executeTakeFirst();
  return row ? { id: row.id, orgId: row.org_id, name: row.name } : null;
}

/** The team, if it belongs to the organization. */
export async function findTeamInOrg(db: Db, teamId: string, orgId: string): Promise<TeamRecord | null> {
  const team = await findTeam(db, teamId);
  return team && team.orgId === orgId ? team : null;
}

/** Whether another team of the organization (not `exceptId`) has this name. */
export async function teamNameTaken(db: Db, orgId: string, name: string, exceptId?: string): Promise<boolean> {
  let query = db.selectFrom('teams').select('id').where('org_id', '=', orgId).where('name', '=', name);
  if (exceptId) query = query.where('id', '!=', exceptId);
  return (await query.executeTakeFirst()) !== undefined;
}

export async function insertTeamRow(tx: Db, team: TeamRecord, at: number): Promise<void> {
  await tx.insertInto('teams').values({ id: team.id, org_id: team.orgId, name: team.name, created_at: at }).execute();
}

export async function renameTeamRow(tx: Db, teamId: string, name: string): Promise<void> {
  await tx.updateTable('teams').set({ name }).where('id', '=', teamId).execute();
}

/** Deletes the team with its memberships; its grants must be gone first. */
export async function deleteTeamRow(tx: Db, teamId: string): Promise<void> {
  await tx.deleteFrom('team_members').where('team_id', '=', teamId).execute();
  await tx.deleteFrom('teams').where('id', '=', teamId).execute();
}

/** The organization's teams with their member counts, by name. */
export async function teamsOfOrg(db: Db, orgId: string) {
  return db
    .selectFrom('teams as t')
    .select((eb) => [
      't.id',
      't.name',
      eb
        .selectFrom('team_members as tm')
        .select((c) => c.fn.countAll<number>().as('n'))
        .whereRef('tm.team_id', '=', 't.id')
        .as('member_count'),
    ])
    .where('t.org_id', '=', orgId)
    .orderBy('t.name')
    .orderBy('t.id')
    .execute();
}

/** The team's members as users, by name. */
export async function membersOfTeam(db: Db, teamId: string) {
  return db
    .selectFrom('team_members as tm')
    .innerJoin('users as u', 'u.id', 'tm.user_id')
    .select(['u.id', 'u.email', 'u.name', 'u.email_verified'])
    .where('tm.team_id', '=', teamId)
    .orderBy('u.name')
    .orderBy('u.id')
    .execute();
}

/** Puts the user in the team; false when they were in it already. */
export async function addTeamMembership(tx: Db, teamId: string, userId: string, at: number): Promise<boolean> {
  const inserted = await tx
    .insertInto('team_members')
    .values({ team_id: teamId, user_id: userId, created_at: at })
    .onConflict((oc) => oc.columns(['team_id', 'user_id']).doNothing())
    .executeTakeFirst();
  return Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0;
}

/** Takes the user out of the team; false when they were not in it. */
export async function deleteTeamMembership(tx: Db, teamId: string, userId: string): Promise<boolean> {
  const removed = await tx.deleteFrom('team_members').where('team_id', '=', teamId).where('user_id', '=', userId).executeTakeFirst();
  return Number(removed.numDeletedRows) > 0;
}

/** Takes the user out of each of these teams. */
export async function leaveTeams(tx: Db, userId: string, teamIds: string[]): Promise<void> {
  if (teamIds.length === 0) return;
  await tx.deleteFrom('team_members').where('user_id', '=', userId).where('team_id', 'in', teamIds).execute();
}

/** When a team known to exist was made. */
export async function teamCreatedAt(db: Db, teamId: string): Promise<number> {
  const row = await db.selectFrom('teams').select('created_at').where('id', '=', teamId).executeTakeFirstOrThrow();
  return Number(row.created_at);
}
