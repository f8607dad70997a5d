import { sql } from 'kysely';
import { type Level, levelOf } from '../access/levels.js';
import type { Db } from './database.js';
import type { Reader } from './reader.js';
import type { TeamGrantsTable, UserGrantsTable } from './schema.js';

/**
 * A grant (direct or to a team) counts until its `expires_at`, if it has one, and not an instant
 * longer. The one definition of "in force" for the query builder; the hot statements in access/
 * spell the same predicate in reviewed SQL text.
 */
export function inForce(column: string, now: number) {
  return sql<boolean>`(${sql.ref(column)} is null or ${sql.ref(column)} > ${now})`;
}

/** `inForce` for a grant already read: the same predicate, on its `expires_at`. */
export function isInForce(expiresAt: number | null, now: number): boolean {
  return expiresAt === null || expiresAt > now;
}

/** A grant row as it was before a change, for the audit event. */
export interface GrantTerms {
  level: number;
  expires_at: number | null;
}

/** The direct grants in force on the dataset with their holders, by holder name; `only` narrows to one user. */
export async function userGrantsOnDataset(db: Db, datasetId: string, now: number, only?: string) {
  let query = db
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
  return query.orderBy('u.name').orderBy('u.id').execute();
}

/** The team grants in force on the dataset with each team's member count, by team name. */
export async function teamGrantsOnDataset(db: Db, datasetId: string, now: number) {
  return db
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
}

/** The user's direct grant on the dataset, in force or not. */
export async function findUserGrant(db: Db, datasetId: string, userId: string): Promise<GrantTerms | undefined> {
  return db
    .selectFrom('user_grants')
    .select(['level', 'expires_at'])
    .where('dataset_id', '=', datasetId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
}

/** Gives the user a direct grant on the dataset, replacing the one they had. */
export async function putUserGrant(
  tx: Db,
  grant: { datasetId: string; userId: string; level: number; expiresAt: number | null; grantedBy: string; at: number },
): Promise<void> {
  const { datasetId, userId, level, expiresAt, grantedBy, at } = grant;
  await tx
    .insertInto('user_grants')
    .values({
      dataset_id: datasetId,
      user_id: userId,
      level,
      expires_at: expiresAt,
      granted_by: grantedBy,
      created_at: at,
      last_used_at: null,
    })
    .onConflict((oc) => oc.columns(['dataset_id', 'user_id']).doUpdateSet({ level, expires_at: expiresAt, granted_by: grantedBy }))
    .execute();
}

/** Deletes the user's direct grant on the dataset and returns it, if there was one. */
export async function deleteUserGrant(tx: Db, datasetId: string, userId: string): Promise<GrantTerms | undefined> {
  return tx
    .deleteFrom('user_grants')
    .where('dataset_id', '=', datasetId)
    .where('user_id', '=', userId)
    .returning(['level', 'expires_at'])
    .executeTakeFirst();
}

/** The team's grant on the dataset, in force or not. */
export async function findTeamGrant(db: Db, datasetId: string, teamId: string): Promise<GrantTerms | undefined> {
  return db
    .selectFrom('team_grants')
    .select(['level', 'expires_at'])
    .where('dataset_id', '=', datasetId)
    .where('team_id', '=', teamId)
    .executeTakeFirst();
}

/** Gives the team a grant on the dataset, replacing the one it had. */
export async function putTeamGrant(
  tx: Db,
  grant: { datasetId: string; teamId: string; level: number; expiresAt: number | null; grantedBy: string; at: number },
): Promise<void> {
  const { datasetId, teamId, level, expiresAt, grantedBy, at } = grant;
  await tx
    .insertInto('team_grants')
    .values({ dataset_id: datasetId, team_id: teamId, level, expires_at: expiresAt, granted_by: grantedBy, created_at: at })
    .onConflict((oc) => oc.columns(['dataset_id', 'team_id']).doUpdateSet({ level, expires_at: expiresAt, granted_by: grantedBy }))
    .execute();
}

/** Deletes the team's grant on the dataset and returns it, if there was one. */
export async function deleteTeamGrant(tx: Db, datasetId: string, teamId: string): Promise<GrantTerms | undefined> {
  return tx
    .deleteFrom('team_grants')
    .where('dataset_id', '=', datasetId)
    .where('team_id', '=', teamId)
    .returning(['level', 'expires_at'])
    .executeTakeFirst();
}

export interface DirectGrantInOrg {
  datasetId: string;
  datasetName: string;
  level: Level;
  expiresAt: number | null;
}

/**
 * The user's direct grants (aliased `g`) on the organization's datasets (`d`), read from the
 * user's grants to their datasets' organization and never the other way: a large organization
 * holds hundreds of thousands of datasets, and a delete of `dataset_id in (the organization's
 * datasets)` read them all (0.6 s at full scale in the benchmark). The CROSS JOIN keeps SQLite's
 * planner, which has no statistics to go by, to that order; PostgreSQL plans it as any join.
 */
function userGrantsInOrgFrom(db: Db, orgId: string, userId: string) {
  return db
    .selectFrom('user_grants as g')
    .crossJoin('datasets as d')
    .whereRef('d.id', '=', 'g.dataset_id')
    .where('g.user_id', '=', userId)
    .where('d.org_id', '=', orgId);
}

/** The user's direct grants on the organization's datasets, by dataset name; `now` keeps those in force. */
async function grantsInOrg(db: Db, orgId: string, userId: string, now?: number) {
  let query = userGrantsInOrgFrom(db, orgId, userId).select(['d.id', 'd.name', 'g.level', 'g.expires_at']);
  if (now !== undefined) query = query.where(inForce('g.expires_at', now));
  const rows = await query.orderBy('d.name').orderBy('d.id').execute();
  return rows.map((r) => ({ datasetId: r.id, datasetName: r.name, level: levelOf(r.level) ?? 'read', expiresAt: r.expires_at }));
}

/** The user's direct grants in force on the organization's datasets, by dataset name. */
export function directGrantsInOrg(db: Db, orgId: string, userId: string, now: number): Promise<DirectGrantInOrg[]> {
  return grantsInOrg(db, orgId, userId, now);
}

/** Ids a statement names at most (SQLite allows 32 766 parameters, PostgreSQL 65 535). */
const DELETE_BATCH = 500;

/** Deletes every direct grant of the user on the organization's datasets, expired ones included, and returns those in force. */
export async function revokeUserGrantsInOrg(tx: Db, orgId: string, userId: string, now: number): Promise<DirectGrantInOrg[]> {
  // One read of them all: the ids to delete, and among them those in force to report.
  const held = await grantsInOrg(tx, orgId, userId);
  const ids = held.map((g) => g.datasetId);
  for (let start = 0; start < ids.length; start += DELETE_BATCH) {
    await tx
      .deleteFrom('user_grants')
      .where('user_id', '=', userId)
      .where('dataset_id', 'in', ids.slice(start, start + DELETE_BATCH))
      .execute();
  }
  return held.filter((g) => isInForce(g.expiresAt, now));
}

/** Whether the user holds a direct grant (in force or not) on any of the organization's datasets. */
export async function holdsGrantInOrg(db: Db, orgId: string, userId: string): Promise<boolean> {
  const row = await userGrantsInOrgFrom(db, orgId, userId).select('g.dataset_id').limit(1).executeTakeFirst();
  return row !== undefined;
}

/** Deletes every grant the team holds and returns them, expired ones included. */
export async function deleteGrantsOfTeam(tx: Db, teamId: string) {
  const grants = await tx.selectFrom('team_grants').select(['dataset_id', 'level', 'expires_at']).where('team_id', '=', teamId).execute();
  await tx.deleteFrom('team_grants').where('team_id', '=', teamId).execute();
  return grants;
}

/** Whether the user holds a direct grant in force on the dataset. */
export async function holdsGrantInForce(db: Db, datasetId: string, userId: string, now: number): Promise<boolean> {
  const grant = await db
    .selectFrom('user_grants')
    .select('level')
    .where('dataset_id', '=', datasetId)
    .where('user_id', '=', userId)
    .where(inForce('expires_at', now))
    .executeTakeFirst();
  return grant !== undefined;
}

/** The direct grants in force on the organization's datasets with their holders' membership, by dataset and holder name. */
export async function userGrantsInOrg(db: Db, orgId: string, now: number) {
  return db
    .selectFrom('user_grants as g')
    .innerJoin('datasets as d', 'd.id', 'g.dataset_id')
    .innerJoin('users as u', 'u.id', 'g.user_id')
    .leftJoin('org_members as m', (join) => join.onRef('m.org_id', '=', 'd.org_id').onRef('m.user_id', '=', 'g.user_id'))
    .select([
      'd.id as dataset_id',
      'd.name as dataset_name',
      'u.id',
      'u.email',
      'u.name',
      'u.email_verified',
      'g.level',
      'g.expires_at',
      'g.created_at',
      'g.last_used_at',
      'm.role',
    ])
    .where('d.org_id', '=', orgId)
    .where(inForce('g.expires_at', now))
    .orderBy('d.name')
    .orderBy('u.name')
    .execute();
}

/** The team grants in force on the organization's datasets, by dataset and team name. */
export async function teamGrantsInOrg(db: Db, orgId: string, now: number) {
  return db
    .selectFrom('team_grants as g')
    .innerJoin('datasets as d', 'd.id', 'g.dataset_id')
    .innerJoin('teams as t', 't.id', 'g.team_id')
    .select(['d.id as dataset_id', 'd.name as dataset_name', 't.id', 't.name', 'g.level', 'g.expires_at', 'g.created_at', 'g.last_used_at'])
    .where('d.org_id', '=', orgId)
    .where(inForce('g.expires_at', now))
    .orderBy('d.name')
    .orderBy('t.name')
    .execute();
}

/** Every direct grant on the dataset, expired ones included. */
export async function userGrantRowsOfDataset(db: Db, datasetId: string): Promise<UserGrantsTable[]> {
  return db.selectFrom('user_grants').selectAll().where('dataset_id', '=', datasetId).execute();
}

/** Every team grant on the dataset, expired ones included. */
export async function teamGrantRowsOfDataset(db: Db, datasetId: string): Promise<TeamGrantsTable[]> {
  return db.selectFrom('team_grants').selectAll().where('dataset_id', '=', datasetId).execute();
}

/** Adds a direct grant where the user has none (a new dataset). */
export async function insertUserGrant(tx: Db, row: UserGrantsTable): Promise<void> {
  await tx.insertInto('user_grants').values(row).execute();
}

/** Adds a team grant where the team has none (a new dataset). */
export async function insertTeamGrant(tx: Db, row: TeamGrantsTable): Promise<void> {
  await tx.insertInto('team_grants').values(row).execute();
}

/**
 * The next moment after `now` when a grant, direct or to a team, leaves force: null when none
 * will. Two probes of the expiry indexes (migration 015), on the read connection.
 */
export function nextGrantExpiry(reader: Reader, now: number): number | null {
  const row = reader.get<{ next: number | null }>(NEXT_GRANT_EXPIRY, [now, now]);
  return row?.next ?? null;
}

/**
 * The statement of `nextGrantExpiry`, its moment the parameter `now` (written twice: `?` is a
 * parameter of its own at each place on SQLite, `$2` the same one on PostgreSQL).
 */
export function nextGrantExpirySql(now: string): string {
  return `select min(next) as next from (
    select min(expires_at) as next from user_grants where expires_at is not null and expires_at > ${now}
    union all
    select min(expires_at) from team_grants where expires_at is not null and expires_at > ${now}) n`;
}

const NEXT_GRANT_EXPIRY = nextGrantExpirySql('?');
