import type { Db } from './database.js';

export interface ScimTokenRow {
  id: string;
  orgId: string;
  name: string;
  createdAt: number;
  lastUsedAt: number | null;
}

export async function insertScimToken(
  db: Db,
  row: { id: string; orgId: string; name: string; tokenHash: string; createdBy: string; at: number },
): Promise<void> {
  await db
    .insertInto('scim_tokens')
    .values({ id: row.id, org_id: row.orgId, name: row.name, token_hash: row.tokenHash, created_by: row.createdBy, created_at: row.at })
    .execute();
}

/** The organization's live tokens, newest first (index scim_tokens_org). */
export async function liveScimTokens(db: Db, orgId: string): Promise<ScimTokenRow[]> {
  const rows = await db
    .selectFrom('scim_tokens')
    .select(['id', 'org_id', 'name', 'created_at', 'last_used_at'])
    .where('org_id', '=', orgId)
    .where('revoked_at', 'is', null)
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .execute();
  return rows.map(tokenOf);
}

function tokenOf(r: { id: string; org_id: string; name: string; created_at: number; last_used_at: number | null }): ScimTokenRow {
  return {
    id: r.id,
    orgId: r.org_id,
    name: r.name,
    createdAt: Number(r.created_at),
    lastUsedAt: r.last_used_at === null ? null : Number(r.last_used_at),
  };
}

/** Marks a live token revoked; its row stays so the audit log keeps naming it. Null when there was no such live token. */
export async function revokeScimTokenRow(db: Db, orgId: string, id: string, at: number): Promise<ScimTokenRow | null> {
  const row = await db
    .selectFrom('scim_tokens')
    .select(['id', 'org_id', 'name', 'created_at', 'last_used_at'])
    .where('id', '=', id)
    .where('org_id', '=', orgId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  if (!row) return null;
  await db.updateTable('scim_tokens').set({ revoked_at: at }).where('id', '=', id).execute();
  return tokenOf(row);
}

export async function liveScimTokenByHash(db: Db, tokenHash: string): Promise<ScimTokenRow | null> {
  const row = await db
    .selectFrom('scim_tokens')
    .select(['id', 'org_id', 'name', 'created_at', 'last_used_at'])
    .where('token_hash', '=', tokenHash)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return row ? tokenOf(row) : null;
}

export async function touchScimToken(db: Db, id: string, at: number): Promise<void> {
  await db.updateTable('scim_tokens').set({ last_used_at: at }).where('id', '=', id).execute();
}

/** A user as the organization's directory sees them: the account, the membership, the provisioning record. */
export interface DirectoryUserRow {
  id: string;
  email: string;
  name: string;
  createdAt: number;
  member: boolean;
  /** null: a member the directory has not provisioned (added by invitation, say). */
  provisioned: { externalId: string | null; active: boolean; createdAccount: boolean } | null;
}

export interface DirectoryUserFilter {
  email?: string;
  externalId?: string;
}

/**
 * The organization's members and the users its directory provisioned, found through the two
 * primary keys (org_id, user_id) rather than a scan of every account.
 */
function directoryUsers(db: Db, orgId: string) {
  const ids = db
    .selectFrom('org_members')
    .select('user_id')
    .where('org_id', '=', orgId)
    .union(db.selectFrom('scim_users').select('user_id').where('org_id', '=', orgId))
    .as('d');
  return db
    .selectFrom(ids)
    .innerJoin('users as u', 'u.id', 'd.user_id')
    .leftJoin('org_members as m', (j) => j.onRef('m.user_id', '=', 'u.id').on('m.org_id', '=', orgId))
    .leftJoin('scim_users as s', (j) => j.onRef('s.user_id', '=', 'u.id').on('s.org_id', '=', orgId));
}

function filtered(query: ReturnType<typeof directoryUsers>, filter: DirectoryUserFilter) {
  let q = query;
  if (filter.email !== undefined) q = q.where('u.email', '=', filter.email);
  if (filter.externalId !== undefined) q = q.where('s.external_id', '=', filter.externalId);
  return q;
}

const DIRECTORY_COLUMNS = [
  'u.id',
  'u.email',
  'u.name',
  'u.created_at',
  'm.user_id as member_id',
  's.user_id as provisioned_id',
  's.external_id',
  's.active',
  's.created_account',
] as const;

type DirectoryRow = {
  id: string;
  email: string;
  name: string;
  created_at: number;
  member_id: string | null;
  provisioned_id: string | null;
  external_id: string | null;
  active: number | null;
  created_account: number | null;
};

function directoryUserOf(r: DirectoryRow): DirectoryUserRow {
  return {
    id: r.id,
    email: r.email,
    name: r.name,
    createdAt: Number(r.created_at),
    member: r.member_id !== null,
    provisioned:
      r.provisioned_id === null
        ? null
        : { externalId: r.external_id, active: Number(r.active) === 1, createdAccount: Number(r.created_account) === 1 },
  };
}

/** Members of the organization and the users its directory provisioned, by address; a page of them and how many in all. */
export async function listDirectoryUsers(
  db: Db,
  orgId: string,
  filter: DirectoryUserFilter,
  page: { offset: number; limit: number },
): Promise<{ total: number; items: DirectoryUserRow[] }> {
  const count = await filtered(directoryUsers(db, orgId), filter)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  const rows =
    page.limit === 0
      ? []
      : await filtered(directoryUsers(db, orgId), filter)
          .select(DIRECTORY_COLUMNS)
          .orderBy('u.email')
          .orderBy('u.id')
          .limit(page.limit)
          .offset(page.offset)
          .execute();
  return { total: Number(count.n), items: (rows as DirectoryRow[]).map(directoryUserOf) };
}

export async function directoryUser(db: Db, orgId: string, userId: string): Promise<DirectoryUserRow | null> {
  const row = await directoryUsers(db, orgId).select(DIRECTORY_COLUMNS).where('u.id', '=', userId).executeTakeFirst();
  return row ? directoryUserOf(row as DirectoryRow) : null;
}

export async function recordProvisioned(
  db: Db,
  row: { orgId: string; userId: string; externalId: string | null; createdAccount: boolean; at: number },
): Promise<void> {
  await db
    .insertInto('scim_users')
    .values({
      org_id: row.orgId,
      user_id: row.userId,
      external_id: row.externalId,
      active: 1,
      created_account: row.createdAccount ? 1 : 0,
      created_at: row.at,
    })
    .onConflict((oc) => oc.columns(['org_id', 'user_id']).doUpdateSet({ external_id: row.externalId, active: 1 }))
    .execute();
}

export async function updateProvisioned(
  db: Db,
  orgId: string,
  userId: string,
  change: { externalId?: string | null; active?: boolean },
): Promise<void> {
  const set: { external_id?: string | null; active?: number } = {};
  if (change.externalId !== undefined) set.external_id = change.externalId;
  if (change.active !== undefined) set.active = change.active ? 1 : 0;
  if (Object.keys(set).length === 0) return;
  await db.updateTable('scim_users').set(set).where('org_id', '=', orgId).where('user_id', '=', userId).execute();
}

export async function forgetProvisioned(db: Db, orgId: string, userId: string): Promise<void> {
  await db.deleteFrom('scim_users').where('org_id', '=', orgId).where('user_id', '=', userId).execute();
}

export async function organizationCount(db: Db, userId: string): Promise<number> {
  const row = await db
    .selectFrom('org_members')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('user_id', '=', userId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** The organization's teams with their member counts, by name; optionally only the one of that name. */
export async function listOrgTeams(db: Db, orgId: string, name: string | undefined, page: { offset: number; limit: number }) {
  let query = db.selectFrom('teams').where('org_id', '=', orgId);
  if (name !== undefined) query = query.where('name', '=', name);
  const count = await query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  const rows =
    page.limit === 0
      ? []
      : await query.select(['id', 'name', 'created_at']).orderBy('name').orderBy('id').limit(page.limit).offset(page.offset).execute();
  return { total: Number(count.n), items: rows.map((r) => ({ id: r.id, name: r.name, createdAt: Number(r.created_at) })) };
}

export async function teamMembersOf(db: Db, teamIds: string[]): Promise<{ teamId: string; userId: string; email: string; name: string }[]> {
  if (teamIds.length === 0) return [];
  return db
    .selectFrom('team_members as tm')
    .innerJoin('users as u', 'u.id', 'tm.user_id')
    .select(['tm.team_id as teamId', 'u.id as userId', 'u.email', 'u.name'])
    .where('tm.team_id', 'in', teamIds)
    .orderBy('u.email')
    .execute();
}
