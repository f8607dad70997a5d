import type { Store } from '../store/database.js';
import { decodeCursor, encodeCursor } from '../store/pagination.js';
import { Parameters, type Reader, readerOf, readSql, type SqlDialect } from '../store/reader.js';
import { type DatasetsTable, datasetColumnsSql, datasetOfRow } from '../store/schema.js';
import { trigramListPages } from '../store/trigram-lists.js';
import { nameSearchSupport, trigramFrequencies } from '../store/trigram-statistics.js';
import { type CandidateQuery, candidatesSql, postgresMembershipsSql, type SqliteBranch, sqliteBranches } from './inventory-branches.js';
import {
  coverOf,
  ftsAll,
  ftsPhrase,
  INDEXED_MATCHES,
  indexableTerm,
  isCommonTerm,
  type MatchAccess,
  matchPageSql,
  type NameSearch,
  postgresCoverOf,
  postgresFoundSql,
  postgresSearchSql,
  sqliteMatchesSql,
  sqliteMatchIdsSql,
  sqlitePaths,
  trigramsOf,
  widerCoverOf,
} from './inventory-search.js';
import { atLeast, type Level, levelOf, rankOf } from './levels.js';
import { mayProcessDatasets } from './org.js';
import { type AccessFacts, effectiveLevel } from './rule.js';

export interface InventoryQuery {
  userId: string;
  minLevel: Level;
  orgId?: string | undefined;
  search?: string | undefined;
  limit: number;
  cursor?: string | undefined;
  now: number;
  /** How many name matches a search reads through the index before it takes the keyset scan instead (tests lower it). */
  indexedMatches?: number | undefined;
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
  /** What the level was decided from, as the check reads it (for what the user may do with the dataset). */
  facts: AccessFacts;
  /** Whether the user may process datasets of its organization (admins always, members by capability). */
  processDatasets: boolean;
  teams: InventoryTeam[];
}

/** Datasets sort and are searched by their lower-cased name: "alpha" before "Bravo". */
export function datasetNameKey(name: string): string {
  return name.toLowerCase();
}

function nameSearchOf(search: string): NameSearch {
  const term = datasetNameKey(search);
  return { term, pattern: `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%` };
}

interface Memberships {
  adminOrgs: string[];
  memberOrgs: string[];
  /** The user's teams in organizations they do not administer (an org admin already sees all). */
  teams: string[];
  /** The user's role in each of their organizations, and every team of theirs: the per-row facts. */
  roles: Map<string, 'admin' | 'member'>;
  allTeams: Set<string>;
  /** The organizations where the user may process datasets. */
  processing: Set<string>;
}

/** No memberships: what the PostgreSQL branches are built from (they read their own), and an empty page. Never written. */
const NO_MEMBERSHIPS: Memberships = {
  adminOrgs: [],
  memberOrgs: [],
  teams: [],
  roles: new Map(),
  allTeams: new Set(),
  processing: new Set(),
};

type MembershipRow = { org_id: string; role: 'admin' | 'member' | null; process_datasets: number | null; team_id: string | null };

/**
 * The user's organizations and teams, in one statement (org_members_user, team_members_user).
 * Each team's organization is a probe of its primary key: PostgreSQL's generic plan of a join
 * hashed every team of the database instead (a sequential scan, 0.2 ms of a 1.4 ms page at medium scale).
 */
function membershipsSql(p: Parameters, userId: string): string {
  return `select org_id, role, process_datasets, null as team_id from org_members where user_id = ${p.add(userId)}
     union all
     select (select t.org_id from teams t where t.id = tm.team_id), null, null, tm.team_id from team_members tm where tm.user_id = ${p.add(userId)}`;
}

function membershipsOf(rows: MembershipRow[], orgId: string | undefined): Memberships {
  const inScope = rows.filter((r) => orgId === undefined || r.org_id === orgId);
  const adminOrgs = inScope.filter((r) => r.role === 'admin').map((r) => r.org_id);
  const roles = new Map<string, 'admin' | 'member'>();
  const allTeams = new Set<string>();
  const processing = new Set<string>();
  for (const r of rows) {
    if (r.role !== null) roles.set(r.org_id, r.role);
    if (mayProcessDatasets(r.role, r.process_datasets)) processing.add(r.org_id);
    if (r.team_id !== null) allTeams.add(r.team_id);
  }
  return {
    adminOrgs,
    memberOrgs: inScope.filter((r) => r.role === 'member').map((r) => r.org_id),
    teams: inScope.flatMap((r) => (r.team_id !== null && !adminOrgs.includes(r.org_id) ? [r.team_id] : [])),
    roles,
    allTeams,
    processing,
  };
}

/** A dataset's live team grants as a JSON array of {id, name, level}, by team name. */
function teamsJsonSql(dialect: SqlDialect, now: string): string {
  // Code point order on both databases, whatever PostgreSQL's default collation (SQLite's BINARY is that order).
  const order = dialect === 'postgres' ? 'order by t.name collate "C", t.id collate "C"' : 'order by t.name, t.id';
  const teams = `select t.id, t.name, tg.level from team_grants tg join teams t on t.id = tg.team_id
     where tg.dataset_id = d.id and (tg.expires_at is null or tg.expires_at > ${now}) ${order}`;
  return dialect === 'postgres'
    ? `(select coalesce(json_agg(x), '[]') from (${teams}) x)`
    : `(select json_group_array(json_object('id', x.id, 'name', x.name, 'level', x.level)) from (${teams}) x)`;
}

type TeamGrant = { id: string; name: string; level: number };
type PageRow = DatasetsTable & { direct_rank: number | null; org_name: string; teams: unknown };

/**
 * Each row of a page of candidates (`source`, a subquery `c` of ids) with the user's direct
 * grant, the org name and, unless `teams` is false, the dataset's live team grants, in keyset
 * order. The other facts of the check (the user's role in the organization, their teams' best
 * grant) follow from the memberships and those team grants, read in the same snapshot, so each
 * row costs two probes instead of four.
 */
function pageSql(
  p: Parameters,
  query: InventoryQuery,
  source: (p: Parameters) => string,
  { teams = true } = {},
): { text: string; values: unknown[] } {
  // SQLite numbers its parameters by their place in the text: add them in that order.
  const dialect = p.dialect;
  const hint = dialect === 'sqlite' ? ' indexed by user_grants_check' : '';
  const direct = `(select g.level from user_grants g${hint}
      where g.dataset_id = d.id and g.user_id = ${p.add(query.userId)} and (g.expires_at is null or g.expires_at > ${p.add(query.now)})) as direct_rank`;
  const teamsJson = teams ? teamsJsonSql(dialect, p.add(query.now)) : 'null';
  const candidates = source(p);
  const text = `select ${datasetColumnsSql('d')}, ${direct}, o.name as org_name, ${teamsJson} as teams
       from ${candidates} c
       join datasets d on d.id = c.id
       join orgs o on o.id = d.org_id
      order by d.name_key, d.id`;
  return { text, values: p.values };
}

/**
 * SQLite's read connection: the live team grants of a page's datasets, read beside the page in
 * its snapshot as plain rows. Built into each row as JSON, then parsed, they cost about a third
 * of the page (docs/performance.md).
 */
const TEAM_GRANTS_SQL = `select tg.dataset_id, t.id, t.name, tg.level
   from json_each(?) j
   join team_grants tg indexed by team_grants_check on tg.dataset_id = j.value
   join teams t on t.id = tg.team_id
  where tg.expires_at is null or tg.expires_at > ?
  order by t.name, t.id`;

/**
 * The team grants of a page's first `limit` rows, each by team name then id (as the statement of
 * the other paths orders them: SQLite sorts the few rows, where sorting each row's list in
 * JavaScript cost a sort's working arrays per list); a row after those (it only gives the
 * cursor) gets none.
 */
function attachTeams(reader: Reader, rows: PageRow[], limit: number, now: number): void {
  const grants = new Map<string, TeamGrant[]>();
  for (const row of rows) row.teams = [];
  const page = rows.slice(0, limit);
  for (const row of page) grants.set(row.id, row.teams as TeamGrant[]);
  if (page.length === 0) return;
  const ids = JSON.stringify(page.map((r) => r.id));
  for (const g of reader.all<TeamGrant & { dataset_id: string }>(TEAM_GRANTS_SQL, [ids, now])) grants.get(g.dataset_id)?.push(g);
}

/** Surrogates (halves of code points above U+FFFF) rank after U+E000–U+FFFF. */
const codePointRank = (unit: number) => (unit < 0xd800 ? unit : unit <= 0xdfff ? unit + 0x2000 : unit - 0x800);
/** Where UTF-16 order and code point order can differ: a unit from U+D800 up. */
const HIGH_UNITS = /[\ud800-\uffff]/;

/** SQLite's BINARY order is that of UTF-8 bytes, which is code point order; JavaScript's `<` compares UTF-16 units. */
function compareText(a: string, b: string): number {
  if (a === b) return 0;
  // Below U+D800 the two orders agree, and the native comparison is exact.
  if (!HIGH_UNITS.test(a) && !HIGH_UNITS.test(b)) return a < b ? -1 : 1;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i += 1) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

/** A branch's row: the dataset's id and name key, as the branches name their columns. */
type Key = [id: string, nameKey: string];
const compareKeys = (a: Key, b: Key) => compareText(a[1], b[1]) || compareText(a[0], b[0]);

/**
 * The first `take` distinct keys of the statements (for a user with more access paths than one
 * statement holds), merged in keyset order as the read connection steps through them side by
 * side: about `take` rows plus one per statement. The statements' current rows are kept in key
 * order, so each step costs a binary search among them, not a comparison with each.
 */
function mergeInKeysetOrder(reader: Reader, branches: SqliteBranch[], take: number): string[] {
  // Each statement runs from the moment it is iterated: every one opened is closed, even when a
  // later one fails to start (an open statement would keep the read transaction from ending).
  const streams: IterableIterator<Key>[] = [];
  try {
    for (const [slot, b] of branches.entries()) streams.push(reader.iterateValues<Key>(b.text, b.values, slot));
    const heads: { key: Key; stream: IterableIterator<Key> }[] = [];
    const advance = (stream: IterableIterator<Key>) => {
      const next = stream.next();
      if (next.done) return;
      const key = next.value;
      let low = 0;
      let high = heads.length;
      while (low < high) {
        const middle = (low + high) >> 1;
        if (compareKeys(heads[middle]!.key, key) <= 0) low = middle + 1;
        else high = middle;
      }
      heads.splice(low, 0, { key, stream });
    };
    for (const stream of streams) advance(stream);
    const ids: string[] = [];
    let last: Key | undefined;
    while (ids.length < take && heads.length > 0) {
      const { key, stream } = heads.shift()!;
      // A dataset reached by several paths comes from each of their branches, one after another.
      if (!last || compareKeys(key, last) !== 0) ids.push(key[0]);
      last = key;
      advance(stream);
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
  const candidatesOf = (memberships: Memberships): CandidateQuery => ({
    userId,
    now,
    minRank: rankOf(query.minLevel),
    adminOrgs: memberships.adminOrgs,
    tierOrgs: query.minLevel === 'read' ? memberships.memberOrgs : [],
    teams: memberships.teams,
    orgId: query.orgId,
    search: query.search ? nameSearchOf(query.search) : undefined,
    cursor: query.cursor === undefined ? undefined : (decodeCursor(query.cursor, ['string', 'string']) as [string, string]),
    take: limit + 1,
  });
  const reader = store.dialect === 'sqlite' ? await readerOf(store.db) : null;
  let memberships: Memberships;
  let rows: PageRow[];
  if (reader) {
    // One read transaction: the memberships, the branches and the page see one snapshot, and
    // the statements pay for opening a read transaction once instead of each.
    ({ memberships, rows } = reader.snapshot(() => {
      const p = new Parameters('sqlite');
      const memberships = membershipsOf(reader.all<MembershipRow>(membershipsSql(p, userId), p.values), query.orgId);
      const candidates = candidatesOf(memberships);
      const search = sqliteSearch(query, candidates, memberships);
      const matched = search?.page(search.read(reader));
      const merged = (p: Parameters) => {
        // Most users' access paths fit in one statement, which merges them itself.
        const statements = sqliteBranches(candidates);
        const ids =
          statements.length === 1
            ? reader.column<string>(statements[0]!.ids, statements[0]!.values)
            : mergeInKeysetOrder(reader, statements, candidates.take);
        return `(select value as id from json_each(${p.add(JSON.stringify(ids))}))`;
      };
      // The team grants are read after the page, as rows (attachTeams).
      const page = pageSql(new Parameters('sqlite'), query, matched || merged, { teams: false });
      const rows = reader.all<PageRow>(page.text, page.values);
      attachTeams(reader, rows, limit, now);
      return { memberships, rows };
    }));
  } else if (store.dialect === 'sqlite') {
    // An in-memory database: the same statements, one at a time.
    const p = new Parameters('sqlite');
    memberships = membershipsOf(await readSql<MembershipRow>(store.db, membershipsSql(p, userId), p.values), query.orgId);
    const candidates = candidatesOf(memberships);
    const search = sqliteSearch(query, candidates, memberships);
    const matched = search?.page((await readSql<MatchRow>(store.db, search.matches.text, search.matches.values)).map((m) => m.row));
    const page = pageSql(new Parameters('sqlite'), query, matched || ((p) => `(${candidatesSql('sqlite', p, candidates)})`));
    rows = await readSql<PageRow>(store.db, page.text, page.values);
  } else {
    return postgresPage(store, query, candidatesOf);
  }
  return pageOf(rows, query, memberships);
}

/** A row of the trigram table that matched a search (inventory-search.ts). */
type MatchRow = { row: number };

/** What a search term asks of the index: the lower-cased term, when the index can serve it. */
function indexedTerm(query: InventoryQuery): string | undefined {
  const key = query.search ? datasetNameKey(query.search) : undefined;
  return key !== undefined && indexableTerm(key) ? key : undefined;
}

function matchAccess(query: InventoryQuery, candidates: CandidateQuery): MatchAccess {
  const { userId, now, minRank, orgId, search, cursor, take } = candidates;
  return { userId, now, minRank, orgId, search: search ?? nameSearchOf(query.search ?? ''), cursor, take };
}

/**
 * SQLite, a search of three characters or more: the statement that reads up to the cap (plus
 * one) of matching rows of the trigram table (their numbers), and the page of their datasets
 * the user may see, when they are no more than the cap (otherwise undefined: the keyset scan
 * serves the page).
 */
function sqliteSearch(query: InventoryQuery, candidates: CandidateQuery, memberships: Memberships) {
  const term = indexedTerm(query);
  if (term === undefined) return undefined;
  const cap = query.indexedMatches ?? INDEXED_MATCHES;
  const statement = (fts: string) => {
    const p = new Parameters('sqlite');
    return { text: sqliteMatchesSql(p, fts, cap + 1), values: p.values };
  };
  const matches = statement(ftsPhrase(term));
  // On the read connection: first through the shortest lists that cover the term, a superset of
  // its matches (coverOf), then through those and a third (widerCoverOf); through the whole
  // phrase when those find more than the cap.
  const read = (reader: Reader) => {
    const trigrams = trigramsOf(term);
    if (trigrams.length > 1) {
      const pages = trigramListPages(
        reader,
        trigrams.map((t) => t.text),
      );
      const cover = coverOf(trigrams, pages);
      for (const lists of [cover, widerCoverOf(trigrams, pages, cover)]) {
        if (lists.length === 0) break;
        const superset = statement(ftsAll(lists));
        const rows = reader.column<number>(superset.text, superset.values);
        if (rows.length <= cap) return rows;
      }
    }
    return reader.column<number>(matches.text, matches.values);
  };
  const page = (rows: number[]) => {
    if (rows.length > cap) return undefined;
    const access = matchAccess(query, candidates);
    const paths = sqlitePaths(access, { ...memberships, tierOrgs: candidates.tierOrgs });
    return (p: Parameters) => `(${matchPageSql(p, access, sqliteMatchIdsSql(p.add(JSON.stringify(rows))), paths)})`;
  };
  return { matches, read, page };
}

function factsFromMemberships(row: PageRow, memberships: Memberships): AccessFacts {
  const grants = teamsOf(row);
  let teamRank: number | null = null;
  for (const t of grants) if (memberships.allTeams.has(t.id)) teamRank = Math.max(teamRank ?? 0, Number(t.level));
  return {
    orgRole: memberships.roles.get(row.org_id) ?? null,
    visibility: row.visibility,
    teamRank,
    directRank: row.direct_rank === null ? null : Number(row.direct_rank),
  };
}

function teamsOf(row: PageRow): TeamGrant[] {
  if (typeof row.teams === 'string') row.teams = JSON.parse(row.teams);
  return row.teams as TeamGrant[];
}

/**
 * PostgreSQL: the memberships, the branches and the page in one statement, one round trip. The
 * user's memberships come back once with the page, and each row's facts follow from them and its
 * team grants, as on SQLite: a row costs two probes instead of five. A search of three characters
 * or more reads its matches through the trigram index in the same statement (postgresSearchSql).
 */
async function postgresPage(
  store: Store,
  query: InventoryQuery,
  candidatesOf: (memberships: Memberships) => CandidateQuery,
): Promise<{ entries: InventoryEntry[]; nextCursor: string | null }> {
  // The branches read the memberships from `mem` and `tms`, not from these lists.
  const candidateQuery = candidatesOf(NO_MEMBERSHIPS);
  const access = matchAccess(query, candidateQuery);
  const cap = query.indexedMatches ?? INDEXED_MATCHES;
  const term = indexedTerm(query);
  const support = term === undefined ? undefined : await nameSearchSupport(store.db);
  const frequencies = support?.index && support.statistics ? await trigramFrequencies(store.db) : undefined;
  // A term in many names goes to the keyset scan at once: the index would find more than the cap.
  const indexed = term !== undefined && support?.index === true && !isCommonTerm(term, frequencies, cap);
  const lists = indexed ? postgresCoverOf(term, frequencies, cap) : [];
  // PostgreSQL numbers its parameters: the common table expressions may take theirs first.
  const p = new Parameters('postgres');
  const ctes = `mine as (${membershipsSql(p, query.userId)}),
      ${postgresMembershipsSql(p, query.orgId)}${indexed ? `,\n      ${postgresFoundSql(p, access, cap, term, lists)}` : ''}`;
  const page = pageSql(p, query, (p) => {
    const scan = candidatesSql('postgres', p, candidateQuery);
    return indexed ? `(${postgresSearchSql(p, access, cap, scan)})` : `(${scan})`;
  });
  // The memberships ride on one row of the page (the scalar subquery runs once); an empty page
  // needs none.
  const rows = await readSql<PageRow & { memberships_json: string | null }>(
    store.db,
    `with ${ctes}
     select case when row_number() over () = 1 then (select coalesce(json_agg(mine), '[]')::text from mine) end as memberships_json, r.*
       from (${page.text}) r
      order by r.name_key, r.id`,
    page.values,
    { prepare: true },
  );
  const carrier = rows.find((row) => row.memberships_json !== null);
  if (!carrier) return pageOf([], query, NO_MEMBERSHIPS);
  const memberships = membershipsOf(JSON.parse(carrier.memberships_json!) as MembershipRow[], query.orgId);
  const pageRows = rows.map(({ memberships_json: _, ...row }) => row);
  return pageOf(pageRows, query, memberships);
}

/** The page's entries, each with the level the check would give, and the cursor after it. */
function pageOf(
  rows: PageRow[],
  query: InventoryQuery,
  memberships: Memberships,
): { entries: InventoryEntry[]; nextCursor: string | null } {
  const { limit } = query;
  const entries: InventoryEntry[] = [];
  for (const row of rows.slice(0, limit)) {
    const facts = factsFromMemberships(row, memberships);
    const level = effectiveLevel(facts);
    // Every candidate came from a path that grants ≥ minLevel; the check agrees by construction.
    if (!level || !atLeast(level, query.minLevel)) continue;
    entries.push({
      dataset: datasetOfRow(row),
      orgName: row.org_name,
      level,
      facts,
      processDatasets: memberships.processing.has(row.org_id),
      teams: teamsOf(row).map((t) => ({ id: t.id, name: t.name, level: levelOf(Number(t.level)) ?? 'read' })),
    });
  }
  const last = rows.length > limit ? rows[limit - 1] : undefined;
  return { entries, nextCursor: last ? encodeCursor([last.name_key, last.id]) : null };
}
