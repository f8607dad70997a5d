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
