import { limitSql, Parameters, type SqlDialect } from '../store/reader.js';
import { type NameSearch, nameMatchSql } from './inventory-search.js';

/** What decides which datasets may appear on one inventory page, and where the page starts. */
export interface CandidateQuery {
  userId: string;
  now: number;
  minRank: number;
  /** Organizations the user administers: every dataset of theirs. */
  adminOrgs: string[];
  /** Organizations the user is a plain member of: their datasets shared at a tier (for `read` only). */
  tierOrgs: string[];
  /** The user's teams outside the organizations they administer. */
  teams: string[];
  orgId: string | undefined;
  /** A name search. */
  search: NameSearch | undefined;
  cursor: [string, string] | undefined;
  take: number;
}

const TIERS = ['external', 'organization'];

/**
 * SQL for one page of candidates (id, name_key): one branch per access path, each reading at
 * most `take` rows after the cursor straight from an index in keyset order, their union cut to
 * one page. A dataset reached by several paths is one row: UNION ALL then GROUP BY in keyset
 * order sorts once, where UNION sorts every branch again. Each branch names the index it walks.
 */
export function candidatesSql(dialect: SqlDialect, p: Parameters, q: CandidateQuery): string {
  return dialect === 'postgres' ? postgresCandidates(p, q) : sqliteCandidates(p, q);
}

/**
 * The direct grants (user_grants_inventory); an external accessor's grant only while the tier
 * is "external". Parameters in the order they appear: SQLite numbers them by place. `rest`
 * follows the conditions: the search and the cursor, and on PostgreSQL the order and the page.
 */
function directBranch(user: string, minRank: string, now: string, member: string, orgId: string, rest: string): string {
  return `select g.dataset_id as id, g.name_key from user_grants g join datasets d on d.id = g.dataset_id
     where g.user_id = ${user} and g.level >= ${minRank} and (g.expires_at is null or g.expires_at > ${now})
       and (d.visibility = 'external'
            or exists (select 1 from org_members om where om.org_id = d.org_id and om.user_id = ${member}))
       ${orgId}
       ${rest}`;
}

/** Access paths on SQLite: one statement of up to `UNION_ARMS` of them, with its parameters. */
export interface SqliteBranch {
  /** The rows (id, name_key) in keyset order, at most a page. */
  text: string;
  /** The same rows' ids alone. */
  ids: string;
  values: unknown[];
}

/** SQLite's statements, one per shape of page and count of each kind of branch: a page writes none. */
const sqliteBranchTexts = new Map<string, { text: string; ids: string }>();
/** Kept at most; past this many shapes the texts are written again as pages ask. */
const MAX_BRANCH_TEXTS = 500;

/**
 * Branches in one SQLite statement at most. SQLite reads a compound SELECT with an ORDER BY as
 * a merge of its arms, each stepping through its index in keyset order, and stops at the LIMIT:
 * about a page in all. It allows 500 arms; a user with more memberships gets a statement per
 * this many, which the read connection merges (inventory.ts).
 */
export const UNION_ARMS = 32;

type BranchKind = 'admin' | 'tier' | 'team' | 'direct';

/**
 * SQLite: a branch per organization administered, per tier of each organization the user is a
 * member of and per team, and one for direct grants, as the arms of a UNION in keyset order cut
 * to one page (`UNION_ARMS` arms a statement). UNION keeps one row of a dataset reached by
 * several paths. One statement instead of one per branch: no row of each branch handed to
 * JavaScript to be compared, a fifth less allocated by a page, and 12–18 % less time for most
 * pages, 3–5 % for a common term's search and an external accessor's (docs/performance.md,
 * sixteenth round). Elsewhere `candidatesSql` unions the statements.
 *
 * SQLite numbers its parameters by place, so a statement's text depends only on how many
 * branches of each kind it holds and on the page's shape (a search, a cursor, a filter by
 * organization, the page size): each is written once, and a page only lists the values, in the
 * order of the text (each branch's own, then the search's term, then the cursor). Written anew
 * for each page, the texts were a tenth of what a page allocated, and each was hashed again to
 * find its prepared statement.
 */
export function sqliteBranches(q: CandidateQuery): SqliteBranch[] {
  const shape = `${q.search === undefined ? '-' : 's'}${q.cursor === undefined ? '-' : 'c'}${q.orgId === undefined ? '-' : 'o'}${q.take}`;
  const tail: unknown[] = q.search === undefined ? [] : [q.search.term];
  if (q.cursor) tail.push(q.cursor[0], q.cursor[1]);
  const arms: { kind: BranchKind; values: unknown[] }[] = [];
  for (const org of q.adminOrgs) arms.push({ kind: 'admin', values: [org] });
  for (const org of q.tierOrgs) for (const tier of TIERS) arms.push({ kind: 'tier', values: [org, tier] });
  for (const team of q.teams) arms.push({ kind: 'team', values: [team, q.minRank, q.now] });
  arms.push({
    kind: 'direct',
    values: q.orgId === undefined ? [q.userId, q.minRank, q.now, q.userId] : [q.userId, q.minRank, q.now, q.userId, q.orgId],
  });
  const statements: SqliteBranch[] = [];
  for (let first = 0; first < arms.length; first += UNION_ARMS) {
    const group = arms.slice(first, first + UNION_ARMS);
    const counts = { admin: 0, tier: 0, team: 0, direct: 0 };
    for (const arm of group) counts[arm.kind] += 1;
    const key = `${shape} ${counts.admin} ${counts.tier} ${counts.team} ${counts.direct}`;
    let texts = sqliteBranchTexts.get(key);
    if (texts === undefined) {
      const text = `${group.map((arm) => sqliteArm(arm.kind, q)).join('\n union ')}\n order by 2, 1 limit ${limitSql(q.take)}`;
      texts = { text, ids: `select id from (${text})` };
      if (sqliteBranchTexts.size >= MAX_BRANCH_TEXTS) sqliteBranchTexts.clear();
      sqliteBranchTexts.set(key, texts);
    }
    const values: unknown[] = [];
    for (const arm of group) {
      for (const value of arm.values) values.push(value);
      for (const value of tail) values.push(value);
    }
    statements.push({ ...texts, values });
  }
  return statements;
}

/** One arm of `sqliteBranches`' UNION, each stepping through the index named beside it. */
function sqliteArm(kind: BranchKind, q: CandidateQuery): string {
  // The search and the cursor; the order and the page's size are the UNION's.
  const matchingAfter = (name: string, id: string) => {
    const search = q.search === undefined ? '' : ` and ${nameMatchSql(new Parameters('sqlite'), name, q.search)}`;
    const after = q.cursor ? ` and (${name}, ${id}) > (?, ?)` : '';
    return `${search}${after}`;
  };
  switch (kind) {
    // datasets_org_name
    case 'admin':
      return `select d.id, d.name_key from datasets d where d.org_id = ?${matchingAfter('d.name_key', 'd.id')}`;
    // datasets_org_visibility_name
    case 'tier':
      return `select d.id, d.name_key from datasets d where d.org_id = ? and d.visibility = ?${matchingAfter('d.name_key', 'd.id')}`;
    // team_grants_inventory
    case 'team':
      return `select tg.dataset_id as id, tg.name_key from team_grants tg
          where tg.team_id = ? and tg.level >= ? and (tg.expires_at is null or tg.expires_at > ?)${matchingAfter('tg.name_key', 'tg.dataset_id')}`;
    case 'direct':
      return directBranch('?', '?', '?', '?', q.orgId === undefined ? '' : 'and d.org_id = ?', matchingAfter('g.name_key', 'g.dataset_id'));
  }
}

/** SQLite without its read connection (an in-memory database): `sqliteBranches`' statements as one UNION ALL. */
function sqliteCandidates(p: Parameters, q: CandidateQuery): string {
  const branches = sqliteBranches(q);
  for (const branch of branches) for (const value of branch.values) p.add(value);
  const union = branches.map((branch, i) => `select id, name_key from (${branch.text}) b${i}`).join('\n union all ');
  return `select id, name_key from (${union}) u group by name_key, id order by name_key, id limit ${limitSql(q.take)}`;
}

/**
 * How many of the user's organizations and teams get a branch of their own in the PostgreSQL
 * statement: one scan each, which a Merge Append reads side by side and stops once the page is
 * full. Memberships beyond these share one branch per kind that reads up to a page of each and
 * sorts them; for most users it is empty.
 */
export const POSTGRES_SLOTS = { admin: 2, member: 4, team: 8 } as const;

/**
 * PostgreSQL: the same branches in one statement with the user's memberships, so a page is one
 * round trip. `mem` and `tms` (common table expressions the caller puts in front, see
 * `postgresMembershipsSql`) are the user's organizations and teams. The first few of each kind
 * (`POSTGRES_SLOTS`, in id order) have a branch of their own, an index scan in keyset order on
 * the id in that place: a Merge Append then reads about one page in all, not a page of every
 * branch. An empty place compares with null and reads nothing. The rest of each kind is a
 * LATERAL scan over the remaining ids. The text depends only on whether there is a cursor and
 * a search: a handful of statements, each planned once per connection.
 */
function postgresCandidates(p: Parameters, q: CandidateQuery): string {
  const take = p.add(q.take);
  // The LIKE of nameMatchSql on PostgreSQL, its one parameter shared by every branch.
  const pattern = q.search === undefined ? undefined : p.add(q.search.pattern);
  const cursor = q.cursor ? [p.add(q.cursor[0]), p.add(q.cursor[1])] : undefined;
  const pageBy = (name: string, id: string) =>
    `${pattern ? ` and ${name} like ${pattern}` : ''}${cursor ? ` and (${name}, ${id}) > (${cursor[0]}, ${cursor[1]})` : ''} order by ${name}, ${id} limit ${take}`;
  const user = p.add(q.userId);
  const minRank = p.add(q.minRank);
  const now = p.add(q.now);
  const orgId = p.add(q.orgId ?? null);
  const tiers = TIERS.map((tier) => p.add(tier));
  const adminScan = (org: string) => `select d.id, d.name_key from datasets d where d.org_id = ${org}${pageBy('d.name_key', 'd.id')}`;
  const tierScan = (org: string, tier: string) =>
    `select d.id, d.name_key from datasets d where d.org_id = ${org} and d.visibility = ${tier}${pageBy('d.name_key', 'd.id')}`;
  const teamScan = (team: string) =>
    `select tg.dataset_id as id, tg.name_key from team_grants tg
      where tg.team_id = ${team} and tg.level >= ${minRank} and (tg.expires_at is null or tg.expires_at > ${now})
      ${pageBy('tg.name_key', 'tg.dataset_id')}`;
  // PostgreSQL arrays count from 1, and a place past the end is null.
  const place = (kind: string, i: number) => `(select ${kind}[${i + 1}] from places)`;
  const rest = (kind: string, from: number) => `unnest((select ${kind}[${from + 1}:] from places))`;
  const branches = [
    ...Array.from({ length: POSTGRES_SLOTS.admin }, (_, i) => adminScan(place('admins', i))),
    `select x.id, x.name_key from ${rest('admins', POSTGRES_SLOTS.admin)} a(org_id) cross join lateral (${adminScan('a.org_id')}) x`,
    ...Array.from({ length: POSTGRES_SLOTS.member }, (_, i) => tiers.map((tier) => tierScan(place('members', i), tier))).flat(),
    `select x.id, x.name_key from ${rest('members', POSTGRES_SLOTS.member)} m(org_id)
       cross join unnest(array[${tiers.join(', ')}]) v(tier)
       cross join lateral (${tierScan('m.org_id', 'v.tier')}) x`,
    ...Array.from({ length: POSTGRES_SLOTS.team }, (_, i) => teamScan(place('teams', i))),
    `select x.id, x.name_key from ${rest('teams', POSTGRES_SLOTS.team)} t(team_id) cross join lateral (${teamScan('t.team_id')}) x`,
    directBranch(user, minRank, now, user, `and (${orgId}::text is null or d.org_id = ${orgId})`, pageBy('g.name_key', 'g.dataset_id')),
  ];
  return `with places as (
      select array(select org_id from mem where role = 'admin' order by org_id) as admins,
             array(select org_id from mem where role = 'member' and ${minRank} <= 1 order by org_id) as members,
             array(select team_id from tms order by team_id) as teams)
    select id, name_key from (${branches.map((b) => `(${b})`).join('\n      union all\n      ')}) u
     group by name_key, id order by name_key, id limit ${take}`;
}

/**
 * The user's organizations (`mem`, within `orgId` when given) and their teams outside the
 * organizations they administer (`tms`), as common table expressions for `postgresCandidates`.
 * Both come from `mine` (inventory.ts), which the caller puts in front: the user's memberships
 * with each team's organization, read once for the page's branches and its rows alike.
 */
export function postgresMembershipsSql(p: Parameters, orgId: string | undefined): string {
  const org = p.add(orgId ?? null);
  return `mem as (select org_id, role from mine where role is not null and (${org}::text is null or org_id = ${org})),
    tms as (select t.team_id from mine t
             where t.team_id is not null and (${org}::text is null or t.org_id = ${org})
               and not exists (select 1 from mem a where a.org_id = t.org_id and a.role = 'admin'))`;
}
