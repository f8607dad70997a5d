import type { Store } from '../store/database.js';
import { decodeCursor, encodeCursor } from '../store/pagination.js';
import { Parameters, type Reader, readerOf, readSql, type SqlDialect } from '../store/reader.js';
import type { DatasetsTable } from '../store/schema.js';
import { type FactRow, factColumnsSql, factsOf } from './check.js';
import { type CandidateQuery, candidatesSql, type SqliteBranch, sqliteBranches } from './inventory-branches.js';
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

interface Memberships {
  adminOrgs: string[];
  memberOrgs: string[];
  /** The user's teams in organizations they do not administer (an org admin already sees all). */
  teams: string[];
}

/** The user's organizations and teams, in one statement (org_members_user, team_members_user). */
async function membershipsOf(store: Store, userId: string, orgId: string | undefined): Promise<Memberships> {
  const p = new Parameters(store.dialect);
  const rows = await readSql<{ org_id: string; role: 'admin' | 'member' | null; team_id: string | null }>(
    store.db,
    `select org_id, role, null as team_id from org_members where user_id = ${p.add(userId)}
     union all
     select t.org_id, null, tm.team_id from team_members tm join teams t on t.id = tm.team_id where tm.user_id = ${p.add(userId)}`,
    p.values,
    { prepare: true },
  );
  const inScope = rows.filter((r) => orgId === undefined || r.org_id === orgId);
  const adminOrgs = inScope.filter((r) => r.role === 'admin').map((r) => r.org_id);
  return {
    adminOrgs,
    memberOrgs: inScope.filter((r) => r.role === 'member').map((r) => r.org_id),
    teams: inScope.flatMap((r) => (r.team_id !== null && !adminOrgs.includes(r.org_id) ? [r.team_id] : [])),
  };
}

/** A dataset's live team grants as a JSON array of {id, name, level}, by team name. */
function teamsJsonSql(dialect: SqlDialect, now: string): string {
  const teams = `select t.id, t.name, tg.level from team_grants tg join teams t on t.id = tg.team_id
     where tg.dataset_id = d.id and (tg.expires_at is null or tg.expires_at > ${now}) order by t.name, t.id`;
  return dialect === 'postgres'
    ? `(select coalesce(json_agg(x), '[]') from (${teams}) x)`
    : `(select json_group_array(json_object('id', x.id, 'name', x.name, 'level', x.level)) from (${teams}) x)`;
}

type PageRow = DatasetsTable & FactRow & { org_name: string; teams: unknown };

/** Each row of a page of candidates (`source`, a subquery `c` of ids) with its facts, org name and teams, in keyset order. */
async function pageRows(store: Store, query: InventoryQuery, source: (p: Parameters) => string, values?: unknown[]): Promise<PageRow[]> {
  // SQLite numbers its parameters by their place in the text: add them in that order.
  const p = new Parameters(store.dialect);
  const facts = factColumnsSql(
    () => p.add(query.userId),
    () => p.add(query.now),
    store.dialect === 'sqlite',
  );
  const teamsJson = teamsJsonSql(store.dialect, p.add(query.now));
  const candidates = source(p);
  return readSql<PageRow>(
    store.db,
    `select d.*, ${facts}, o.name as org_name, ${teamsJson} as teams
       from ${candidates} c
       join datasets d on d.id = c.id
       join orgs o on o.id = d.org_id
      order by d.name_key, d.id`,
    [...p.values, ...(values ?? [])],
    { prepare: true },
  );
}

/** SQLite's BINARY order is that of UTF-8 bytes, which is code point order; JavaScript's `<` compares UTF-16 units. */
function compareText(a: string, b: string): number {
  // Surrogates (halves of code points above U+FFFF) rank after U+E000–U+FFFF.
  const rank = (unit: number) => (unit < 0xd800 ? unit : unit <= 0xdfff ? unit + 0x2000 : unit - 0x800);
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i += 1) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return rank(x) - rank(y);
  }
  return a.length - b.length;
}

type Key = { id: string; name_key: string };
const compareKeys = (a: Key, b: Key) => compareText(a.name_key, b.name_key) || compareText(a.id, b.id);

/**
 * The first `take` distinct keys of the branches, merged in keyset order as the read connection
 * steps through them side by side: a page costs about `take` rows plus one per branch, where a
 * UNION would read `take` rows of every branch and sort them all.
 */
function mergeInKeysetOrder(reader: Reader, branches: SqliteBranch[], take: number): string[] {
  const streams = branches.map((b, slot) => reader.iterate<Key>(b.text, b.values, slot));
  try {
    const heads = streams.map((s) => s.next());
    const ids: string[] = [];
    let last: Key | undefined;
    while (ids.length < take) {
      let best = -1;
      heads.forEach((head, i) => {
        if (!head.done && (best < 0 || compareKeys(head.value, heads[best]!.value as Key) < 0)) best = i;
      });
      if (best < 0) break;
      const key = heads[best]!.value as Key;
      if (!last || compareKeys(key, last) !== 0) ids.push(key.id);
      last = key;
      heads[best] = streams[best]!.next();
    }
    return ids;
  } finally {
    for (const s of streams) s.return?.();
  }
}

/**
 * The inventory: the datasets where the user's effective level is at least `minLevel`,
 * sorted by (lower-cased name, id), one keyset page at a time.
 *
 * Effective level ≥ minLevel exactly when some access path alone gives ≥ minLevel, so each
 * path is a branch that reads at most one page after the cursor straight from an index in
 * keyset order (inventory-branches.ts): one per organization the user administers, per tier of
 * each organization they belong to, per team, and one for direct grants. The branches are
 * merged and cut to one page, and only then is each row's level computed, from the same facts
 * as the check. The cost grows with the page size and the number of the user's memberships and
 * teams, never with how many datasets they can see. The SQL is written out rather than built:
 * building it cost more than running it.
 */
export async function listInventory(
  store: Store,
  query: InventoryQuery,
): Promise<{
  entries: InventoryEntry[];
  nextCursor: string | null;
}> {
  const { userId, now, limit } = query;
  const { adminOrgs, memberOrgs, teams } = await membershipsOf(store, userId, query.orgId);
  const candidates: CandidateQuery = {
    userId,
    now,
    minRank: rankOf(query.minLevel),
    adminOrgs,
    tierOrgs: query.minLevel === 'read' ? memberOrgs : [],
    teams,
    orgId: query.orgId,
    pattern: query.search ? likePattern(query.search) : undefined,
    cursor: query.cursor === undefined ? undefined : (decodeCursor(query.cursor, ['string', 'string']) as [string, string]),
    take: limit + 1,
  };
  const reader = store.dialect === 'sqlite' ? await readerOf(store.db) : null;
  const rows = reader
    ? await pageRows(
        store,
        query,
        (p) =>
          `(select value as id from json_each(${p.add(JSON.stringify(mergeInKeysetOrder(reader, sqliteBranches(candidates), candidates.take)))}))`,
      )
    : await pageRows(store, query, (p) => `(${candidatesSql(store.dialect, p, candidates)})`);

  const entries: InventoryEntry[] = [];
  for (const row of rows.slice(0, limit)) {
    const { org_role: _r, team_rank: _t, direct_rank: _d, teams, org_name, ...dataset } = row;
    const level = effectiveLevel(factsOf(row));
    // Every candidate came from a path that grants ≥ minLevel; the check agrees by construction.
    if (!level || !atLeast(level, query.minLevel)) continue;
    const parsed = (typeof teams === 'string' ? JSON.parse(teams) : teams) as { id: string; name: string; level: number }[];
    entries.push({
      dataset,
      orgName: org_name,
      level,
      teams: parsed.map((t) => ({ id: t.id, name: t.name, level: levelOf(Number(t.level)) ?? 'read' })),
    });
  }
  const last = rows.length > limit ? rows[limit - 1] : undefined;
  return { entries, nextCursor: last ? encodeCursor([last.name_key, last.id]) : null };
}
