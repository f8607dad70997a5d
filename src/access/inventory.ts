import { type SelectQueryBuilder, sql } from 'kysely';
import { jsonArrayFrom as pgJsonArrayFrom } from 'kysely/helpers/postgres';
import { jsonArrayFrom as sqliteJsonArrayFrom } from 'kysely/helpers/sqlite';
import type { Store } from '../store/database.js';
import { decodeCursor, encodeCursor } from '../store/pagination.js';
import type { Database, DatasetsTable } from '../store/schema.js';
import { accessFactColumns, type FactRow, factsOf } from './check.js';
import { atLeast, type Level, levelOf, rankOf } from './levels.js';
import { effectiveLevel } from './rule.js';

export interface InventoryQuery {
  userId: string;
  minLevel: Level;
  orgId?: string | undefined;
  search?: string | undefined;
  limit: number;
  cursor?: string | undefined;
  now: number;
}

export interface InventoryTeam {
  id: string;
  name: string;
  level: Level;
}

export interface InventoryEntry {
  dataset: DatasetsTable;
  orgName: string;
  level: Level;
  teams: InventoryTeam[];
}

/** Datasets sort and are searched by their lower-cased name: "alpha" before "Bravo". */
export function datasetNameKey(name: string): string {
  return name.toLowerCase();
}

function likePattern(search: string): string {
  return `%${datasetNameKey(search).replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

type Scope = Database & { d: DatasetsTable };
type Branch = SelectQueryBuilder<Scope, 'd', { id: string; name_key: string }>;

/**
 * The inventory: the datasets where the user's effective level is at least `minLevel`,
 * sorted by (lower-cased name, id), one keyset page at a time.
 *
 * Effective level ≥ minLevel exactly when some access path alone gives ≥ minLevel, so each
 * path is a branch that yields at most one page of candidates after the cursor, in index order;
 * the union is cut to one page and each row's level is computed from the same facts as the
 * check. The cost grows with the page size and the number of paths, not with how many
 * datasets the user can see.
 */
export async function listInventory(
  store: Store,
  query: InventoryQuery,
): Promise<{
  entries: InventoryEntry[];
  nextCursor: string | null;
}> {
  const { db } = store;
  const { userId, now, limit } = query;
  const minRank = rankOf(query.minLevel);
  const cursor = query.cursor === undefined ? undefined : (decodeCursor(query.cursor, ['string', 'string']) as [string, string]);
  const take = limit + 1;

  const narrow = (branch: Branch): Branch => {
    let b = branch;
    if (query.orgId !== undefined) b = b.where('d.org_id', '=', query.orgId);
    if (query.search) b = b.where(sql<boolean>`d.name_key like ${likePattern(query.search)} escape '\\'`);
    if (cursor) b = b.where((eb) => eb(eb.refTuple('d.name_key', 'd.id'), '>', eb.tuple(cursor[0], cursor[1])));
    return b.orderBy('d.name_key').orderBy('d.id').limit(take);
  };

  // Org admins: every dataset of their orgs (index datasets_org_name).
  const orgAdmin = db
    .selectFrom('datasets as d')
    .select(['d.id', 'd.name_key'])
    .where('d.org_id', 'in', (eb) =>
      eb.selectFrom('org_members').select('org_id').where('user_id', '=', userId).where('role', '=', 'admin'),
    );

  // Members: the org's datasets shared at the "external" or "organization" tier (index datasets_org_visibility_name).
  const orgMember = db
    .selectFrom('datasets as d')
    .select(['d.id', 'd.name_key'])
    .where('d.visibility', 'in', ['external', 'organization'])
    .where('d.org_id', 'in', (eb) => eb.selectFrom('org_members').select('org_id').where('user_id', '=', userId));

  // Teams: grants to the user's teams (team_members_user, team_grants_team).
  const team = db
    .selectFrom('datasets as d')
    .select(['d.id', 'd.name_key'])
    .where('d.id', 'in', (eb) =>
      eb
        .selectFrom('team_members as tm')
        .innerJoin('team_grants as tg', 'tg.team_id', 'tm.team_id')
        .select('tg.dataset_id')
        .where('tm.user_id', '=', userId)
        .where('tg.level', '>=', minRank)
        .where((w) => w.or([w('tg.expires_at', 'is', null), w('tg.expires_at', '>', now)])),
    );

  // Direct grants (user_grants_user); an external accessor's grant only while the tier is "external".
  const direct = db
    .selectFrom('user_grants as g')
    .innerJoin('datasets as d', 'd.id', 'g.dataset_id')
    .select(['d.id', 'd.name_key'])
    .where('g.user_id', '=', userId)
    .where('g.level', '>=', minRank)
    .where((w) => w.or([w('g.expires_at', 'is', null), w('g.expires_at', '>', now)]))
    .where((eb) =>
      eb.or([
        eb('d.visibility', '=', 'external'),
        eb.exists(
          eb.selectFrom('org_members as om').select('om.user_id').whereRef('om.org_id', '=', 'd.org_id').where('om.user_id', '=', userId),
        ),
      ]),
    ) as unknown as Branch;

  const branches: Branch[] = [orgAdmin as unknown as Branch, team as unknown as Branch, direct];
  if (query.minLevel === 'read') branches.push(orgMember as unknown as Branch);

  const [first, ...rest] = branches.map((branch, i) => db.selectFrom(narrow(branch).as(`b${i}`)).select(['id', 'name_key']));
  let candidates = first!;
  for (const branch of rest) candidates = candidates.union(branch);

  const jsonArrayFrom = store.dialect === 'postgres' ? pgJsonArrayFrom : sqliteJsonArrayFrom;
  const rows = await db
    .selectFrom(candidates.as('c'))
    .innerJoin('datasets as d', 'd.id', 'c.id')
    .selectAll('d')
    .select(accessFactColumns(userId, now))
    .select((eb) => eb.selectFrom('orgs as o').select('o.name').whereRef('o.id', '=', 'd.org_id').as('org_name'))
    .select((eb) =>
      jsonArrayFrom(
        eb
          .selectFrom('team_grants as tg')
          .innerJoin('teams as t', 't.id', 'tg.team_id')
          .select(['t.id', 't.name', 'tg.level'])
          .whereRef('tg.dataset_id', '=', 'd.id')
          .where((w) => w.or([w('tg.expires_at', 'is', null), w('tg.expires_at', '>', now)]))
          .orderBy('t.name')
          .orderBy('t.id'),
      ).as('teams'),
    )
    .orderBy('d.name_key')
    .orderBy('d.id')
    .limit(take)
    .execute();

  const entries: InventoryEntry[] = [];
  for (const row of rows.slice(0, limit)) {
    const { org_role: _r, team_rank: _t, direct_rank: _d, teams, org_name, ...dataset } = row as typeof row & FactRow;
    const level = effectiveLevel(factsOf(row as FactRow));
    // Every candidate came from a path that grants ≥ minLevel; the check agrees by construction.
    if (!level || !atLeast(level, query.minLevel)) continue;
    const parsed = (typeof teams === 'string' ? JSON.parse(teams) : teams) as { id: string; name: string; level: number }[];
    entries.push({
      dataset,
      orgName: org_name ?? '',
      level,
      teams: parsed.map((t) => ({ id: t.id, name: t.name, level: levelOf(Number(t.level)) ?? 'read' })),
    });
  }
  const last = rows.length > limit ? rows[limit - 1] : undefined;
  return { entries, nextCursor: last ? encodeCursor([last.name_key, last.id]) : null };
}
