import { sql } from 'kysely';
import type { OrgRole } from '../access/levels.js';
import type { Db } from './database.js';
import { decodeCursor } from './pagination.js';

export interface MemberRecord {
  id: string;
  email: string;
  name: string;
  email_verified: number;
  role: OrgRole;
  process_datasets: number;
  created_at: number;
}

const MEMBER_COLUMNS = ['u.id', 'u.email', 'u.name', 'u.email_verified', 'm.role', 'm.process_datasets', 'm.created_at'] as const;

export async function addMembership(tx: Db, orgId: string, userId: string, role: OrgRole, at: number): Promise<void> {
  await tx.insertInto('org_members').values({ org_id: orgId, user_id: userId, role, process_datasets: 0, created_at: at }).execute();
}

/** The user's role in the organization and their capability to process its datasets; undefined when not a member. */
export async function findMembership(
  db: Db,
  orgId: string,
  userId: string,
): Promise<{ role: OrgRole; process_datasets: number } | undefined> {
  return db
    .selectFrom('org_members')
    .select(['role', 'process_datasets'])
    .where('org_id', '=', orgId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
}

/** Every membership of the user, in any organization (one statement). */
export async function membershipsOfUser(db: Db, userId: string) {
  return db.selectFrom('org_members').select(['org_id', 'role', 'process_datasets']).where('user_id', '=', userId).execute();
}

/** Which of `userIds` are members of the organization. */
export async function membersAmongIds(db: Db, orgId: string, userIds: string[]): Promise<string[]> {
  const rows = await db.selectFrom('org_members').select('user_id').where('org_id', '=', orgId).where('user_id', 'in', userIds).execute();
  return rows.map((r) => r.user_id);
}

/** The addresses among `emails` that belong to members of the organization. */
export async function memberEmailsAmong(db: Db, orgId: string, emails: string[]): Promise<string[]> {
  const rows = await db
    .selectFrom('users as u')
    .innerJoin('org_members as m', 'm.user_id', 'u.id')
    .select('u.email')
    .where('m.org_id', '=', orgId)
    .where('u.email', 'in', emails)
    .execute();
  return rows.map((r) => r.email);
}

/** The organizations the user belongs to, with their role, by name. */
export async function orgsOfUser(db: Db, userId: string) {
  return db
    .selectFrom('org_members as m')
    .innerJoin('orgs as o', 'o.id', 'm.org_id')
    .select(['o.id', 'o.name', 'm.role', 'm.process_datasets'])
    .where('m.user_id', '=', userId)
    .orderBy('o.name')
    .orderBy('o.id')
    .execute();
}

/** One page of the organization's members by name, one row past `limit` to tell whether more follow. */
export async function memberPage(
  db: Db,
  orgId: string,
  page: { limit: number; cursor?: string | undefined; q?: string | undefined },
): Promise<MemberRecord[]> {
  let query = db
    .selectFrom('org_members as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select(MEMBER_COLUMNS)
    .where('m.org_id', '=', orgId);
  if (page.cursor !== undefined) {
    const [name, id] = decodeCursor(page.cursor, ['string', 'string']) as [string, string];
    query = query.where((eb) => eb(eb.refTuple('u.name', 'u.id'), '>', eb.tuple(name, id)));
  }
  if (page.q) {
    const pattern = `%${page.q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    // SQLite's LIKE has no escape character unless told, so "_" and "%" in q would match anything.
    query = query.where(sql<boolean>`(lower(u.name) like ${pattern} escape '\\' or u.email like ${pattern} escape '\\')`);
  }
  return query
    .orderBy('u.name')
    .orderBy('u.id')
    .limit(page.limit + 1)
    .execute();
}

export async function findMember(db: Db, orgId: string, userId: string): Promise<MemberRecord | undefined> {
  return db
    .selectFrom('org_members as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select(MEMBER_COLUMNS)
    .where('m.org_id', '=', orgId)
    .where('m.user_id', '=', userId)
    .executeTakeFirst();
}

export async function adminCount(db: Db, orgId: string): Promise<number> {
  const row = await db
    .selectFrom('org_members')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('org_id', '=', orgId)
    .where('role', '=', 'admin')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function updateMembership(
  tx: Db,
  orgId: string,
  userId: string,
  set: { role?: OrgRole; process_datasets?: number },
): Promise<void> {
  await tx.updateTable('org_members').set(set).where('org_id', '=', orgId).where('user_id', '=', userId).execute();
}

export async function deleteMembership(tx: Db, orgId: string, userId: string): Promise<void> {
  await tx.deleteFrom('org_members').where('org_id', '=', orgId).where('user_id', '=', userId).execute();
}
