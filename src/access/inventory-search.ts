import { limitSql, type Parameters } from '../store/reader.js';
import type { TrigramFrequencies } from '../store/trigram-statistics.js';

/**
 * A name search finds the matching datasets through the trigram index first when they are few.
 *
 * The keyset scan of each access path, with the LIKE as a filter, stops after a page of
 * matches, so it reads about (page size ÷ the term's share of names) index entries per branch:
 * cheap for a common term, and up to everything the user can see for a rare one. The index path
 * reads every match of the term and keeps those the user may see: cheap for a rare term, and up
 * to every dataset for a common one. So the inventory reads at most `INDEXED_MATCHES` (plus one)
 * matches from the index; when there are more, the term is common enough for the keyset scan to
 * fill a page quickly, and that serves the page. A page costs at most about `INDEXED_MATCHES`
 * probes, plus the keyset scan for common terms only. The capped read is itself the estimate of
 * the term's selectivity: neither FTS5 nor a GIN index counts matches cheaply.
 */
export const INDEXED_MATCHES = 250;

/** Trigram indexes serve terms of three characters or more; shorter ones keep the keyset scan. */
export function indexableTerm(nameKey: string): boolean {
  return [...nameKey].length >= 3;
}

/** The FTS5 query for a lower-cased term: one phrase of its trigrams, an exact substring. */
export function ftsPhrase(nameKey: string): string {
  return `"${nameKey.replaceAll('"', '""')}"`;
}

/**
 * SQLite: up to `cap` rows of the trigram table whose name matches the FTS5 query `fts` (a
 * superset: the LIKE decides). Their row numbers only, which the index holds: the dataset of
 * each is read for the page, once the matches are known to be few enough.
 */
export function sqliteMatchesSql(p: Parameters, fts: string, cap: number): string {
  return `select rowid as row from dataset_names where dataset_names match ${p.add(fts)} limit ${limitSql(cap)}`;
}

/** SQLite: the ids of the datasets of trigram table rows (`rows`, a JSON array parameter). */
export function sqliteMatchIdsSql(rows: string): string {
  return `select r.dataset_id from json_each(${rows}) j join dataset_name_rows r on r.row = j.value`;
}

/** A trigram of a term and where in the term it begins (in characters). */
type Trigram = { text: string; at: number };

/** A lower-cased term's trigrams (of characters, as FTS5's trigram tokenizer cuts them), each with where it begins. */
export function trigramsOf(nameKey: string): Trigram[] {
  const characters = [...nameKey];
  const trigrams: Trigram[] = [];
  for (let at = 0; at + 3 <= characters.length; at += 1) trigrams.push({ text: characters.slice(at, at + 3).join(''), at });
  return trigrams;
}

/**
 * The trigrams to look for instead of the whole phrase, or none when the phrase is as good: the
 * one with the shortest list, then the shortest of those that do not overlap it. A name that
 * contains the term contains both, so their AND finds a superset of its matches (the LIKE
 * decides). FTS5 reads a phrase's every list whole, but steps through an AND from one list and
 * skips ahead in the other: at a million names, "sonar 123" read seven lists (four of them in
 * one name in sixteen or more) in 2.3–4.1 ms, "123" AND "nar" 0.4–0.8 ms for a superset of 146.
 * Overlapping trigrams say little more than one of them ("123" and " 12" mostly come together),
 * and a third list cost more to step through than it took away ("234" AND "r 1" 0.24 ms for 24,
 * with "son" 0.9 ms for 3).
 *
 * `pages` estimates how many leaf pages each list spans (store/trigram-lists.ts). One trigram
 * whose list spans three pages or more fills the one between: it holds more names than the cap
 * (a full page holds several hundred), and reading it would only come back to the phrase.
 */
export function coverOf(trigrams: Trigram[], pages: number[]): string[] {
  const order = byListLength(trigrams, pages);
  const first = order[0];
  if (first === undefined) return [];
  const second = order.find((t) => apart(t, first));
  if (second === undefined && first.size >= 3) return [];
  return fewerThanThePhrase(second === undefined ? [first.text] : [first.text, second.text], trigrams);
}

/**
 * The trigrams with their lists' estimated sizes (`sizes`, in their order: leaf pages on SQLite,
 * shares of names on PostgreSQL), the shortest first, then by place.
 */
function byListLength(trigrams: Trigram[], sizes: number[]): (Trigram & { size: number })[] {
  return trigrams.map((trigram, i) => ({ ...trigram, size: sizes[i] ?? 0 })).sort((a, b) => a.size - b.size || a.at - b.at);
}

/** Whether two trigrams differ and cover no place of the term in common. */
function apart(a: Trigram, b: Trigram): boolean {
  return a.text !== b.text && (a.at >= b.at + 3 || b.at >= a.at + 3);
}

/** The lists, or none when they are all the phrase's own (the phrase then reads as much). */
function fewerThanThePhrase(lists: string[], trigrams: Trigram[]): string[] {
  return lists.length < new Set(trigrams.map((t) => t.text)).size ? lists : [];
}

/**
 * When `cover` (two trigrams, `coverOf`) finds more names than the cap: the same and the shortest
 * trigram that overlaps neither, or none when there is no such trigram or the three would be all
 * the phrase's own lists. A long term whose rarest trigrams are common still has few names
 * holding all three, and an AND stops one past the cap when it finds more, so the third list costs
 * little either way; the phrase reads every list whole. At a million names, "al sonar 12" (171
 * names): " 12" AND "l s" found more than the cap in 0.6 ms, with "nar" 171 in 1.8 ms, where
 * the phrase's nine lists took 6.3; "aerial sonar 1" (430) found more than the cap with three
 * as with two and cost 2 ms more before the phrase.
 */
export function widerCoverOf(trigrams: Trigram[], pages: number[], cover: string[]): string[] {
  if (cover.length !== 2) return [];
  const chosen = trigrams.filter((t) => cover.includes(t.text));
  const third = byListLength(trigrams, pages).find((t) => chosen.every((c) => apart(t, c)));
  return third === undefined ? [] : fewerThanThePhrase([...cover, third.text], trigrams);
}

/** The FTS5 query that finds names holding every one of `trigrams`. */
export function ftsAll(trigrams: string[]): string {
  return trigrams.map(ftsPhrase).join(' AND ');
}

/** What decides which of the matches the user may see at the level asked. */
export interface MatchAccess {
  userId: string;
  now: number;
  minRank: number;
  orgId: string | undefined;
  search: NameSearch;
  cursor: [string, string] | undefined;
  take: number;
}

/**
 * One page of matches  (`matches`, a subquery of ids) the user may see, in keyset order: the
 * same access paths as the branches (inventory-branches.ts), tested on each match instead of
 * walked. `org` says whether the dataset `d` is reached through the user's organizations (as
 * administrator, or through a tier when the level asked is `read`), `team` through a team grant.
 */
export function matchPageSql(
  p: Parameters,
  q: MatchAccess,
  matches: string,
  paths: { org: (p: Parameters) => string; team: (p: Parameters) => string },
): string {
  const name = nameMatchSql(p, 'd.name_key', q.search);
  const after = q.cursor ? ` and (d.name_key, d.id) > (${p.add(q.cursor[0])}, ${p.add(q.cursor[1])})` : '';
  const orgId = q.orgId === undefined ? '' : ` and d.org_id = ${p.add(q.orgId)}`;
  const org = paths.org(p);
  const team = paths.team(p);
  const user = p.add(q.userId);
  const minRank = p.add(q.minRank);
  const now = p.add(q.now);
  const member = p.add(q.userId);
  return `select d.id, d.name_key from datasets d
     where d.id in (${matches}) and ${name}${after}${orgId}
       and (${org}
            or ${team}
            or exists (select 1 from user_grants g
                        where g.dataset_id = d.id and g.user_id = ${user} and g.level >= ${minRank} and (g.expires_at is null or g.expires_at > ${now})
                          and (d.visibility = 'external'
                               or exists (select 1 from org_members om where om.org_id = d.org_id and om.user_id = ${member}))))
     order by d.name_key, d.id limit ${limitSql(q.take)}`;
}

/** A name search: the lower-cased term, and its LIKE pattern (`%`, `_` and `\` escaped with a backslash). */
export interface NameSearch {
  term: string;
  pattern: string;
}

/**
 * Whether `column` (a lower-cased name) holds the search, with its parameter added to `p`.
 *
 * - **PostgreSQL:** LIKE the pattern, whose escape character is PostgreSQL's own. Told
 *   (`escape '\'`), a statement planned once for any pattern calls `like_escape` on the pattern
 *   again for every row it filters: for the heavy user's "Sonar", 12 755 index entries in one
 *   branch, 3.2 ms where the same branch takes 1.9. The trigram index serves the LIKE.
 * - **SQLite:** `instr` of the term, a search for its bytes. Both sides are lower-cased, so it
 *   finds what LIKE finds (SQLite's LIKE folds only ASCII letters, which neither side holds),
 *   and it finds a term holding `%`, `_` or NUL as written. SQLite's LIKE tries the rest of the
 *   pattern at each place of the name, reading each character; the heavy user's "Sonar" reads
 *   18 000 index entries, and LIKE cost 0.3 ms of its 1.8.
 */
export function nameMatchSql(p: Parameters, column: string, search: NameSearch): string {
  return p.dialect === 'sqlite' ? `instr(${column}, ${p.add(search.term)}) > 0` : `${column} like ${p.add(search.pattern)}`;
}

/** The access paths of SQLite, from the user's memberships read beforehand. */
export function sqlitePaths(
  q: MatchAccess,
  memberships: { adminOrgs: string[]; tierOrgs: string[]; teams: string[] },
): { org: (p: Parameters) => string; team: (p: Parameters) => string } {
  return {
    org: (p) =>
      `(d.org_id in (select value from json_each(${p.add(JSON.stringify(memberships.adminOrgs))}))
        or (d.visibility in ('external', 'organization') and d.org_id in (select value from json_each(${p.add(JSON.stringify(memberships.tierOrgs))}))))`,
    team: (p) =>
      `exists (select 1 from team_grants tg
                where tg.dataset_id = d.id and tg.team_id in (select value from json_each(${p.add(JSON.stringify(memberships.teams))}))
                  and tg.level >= ${p.add(q.minRank)} and (tg.expires_at is null or tg.expires_at > ${p.add(q.now)}))`,
  };
}

/** The access paths of PostgreSQL, from the `mem` and `tms` common table expressions. */
export function postgresPaths(q: MatchAccess): { org: (p: Parameters) => string; team: (p: Parameters) => string } {
  return {
    org: (p) =>
      `exists (select 1 from mem m where m.org_id = d.org_id
                and (m.role = 'admin' or (m.role = 'member' and ${p.add(q.minRank)} <= 1 and d.visibility in ('external', 'organization'))))`,
    team: (p) =>
      `exists (select 1 from team_grants tg join tms t on t.team_id = tg.team_id
                where tg.dataset_id = d.id and tg.level >= ${p.add(q.minRank)} and (tg.expires_at is null or tg.expires_at > ${p.add(q.now)}))`,
  };
}

/** How many names, per name the cap lets through the index, a cover may hold by its estimate. */
export const SUPERSET_PER_CAP = 4;

/**
 * PostgreSQL: the LIKE patterns of the rarest of a term's trigrams that together hold an
 * estimated few times the cap of names (`SUPERSET_PER_CAP`), or none: then the whole pattern is
 * searched, planned for the term (migration 017). `frequencies` are ANALYZE's (migration 019);
 * a trigram they do not list is taken for half as common as the rarest they do.
 *
 * pg_trgm cuts names into words of letters and digits, so only a trigram of three such
 * characters is, in a pattern `%abc%`, the one trigram the index looks up. The shortest list
 * first, then the shortest of those that do not overlap the ones taken, up to three, until the
 * estimate (independent trigrams) is small enough. The trigrams of a common term are all
 * common: it keeps the whole pattern, which PostgreSQL reads by a scan that stops at the cap.
 */
export function postgresCoverOf(nameKey: string, frequencies: TrigramFrequencies | undefined, cap: number): string[] {
  if (!frequencies) return [];
  const trigrams = trigramsOf(nameKey).filter((t) => /^[a-z0-9]{3}$/.test(t.text));
  const shares = trigrams.map((t) => frequencies.frequencies.get(t.text) ?? frequencies.rarest / 2);
  const chosen: Trigram[] = [];
  let estimate = frequencies.names;
  for (const t of byListLength(trigrams, shares)) {
    if (chosen.length === 3 || (chosen.length > 0 && estimate <= SUPERSET_PER_CAP * cap)) break;
    if (chosen.every((c) => apart(t, c))) {
      chosen.push(t);
      estimate *= t.size;
    }
  }
  return chosen.length > 0 && estimate <= SUPERSET_PER_CAP * cap ? chosen.map((t) => `%${t.text}%`) : [];
}

/** How many names, per name the cap lets through the index, make a term common (`isCommonTerm`). */
export const COMMON_PER_CAP = 10;

/** How many of the histogram's bounds must hold a term before their share of it is believed. */
const COMMON_BOUNDS = 3;

/**
 * PostgreSQL: whether ANALYZE's sample of the names (`TrigramFrequencies.sample`) puts `nameKey`
 * in more than `COMMON_PER_CAP` times the cap of names. The index would then find more than the
 * cap, after reading the lists of the term's trigrams whole (a bitmap of them), and the page
 * take the keyset scan anyway: such a page skips the index. The share is PostgreSQL's own
 * estimate of a LIKE: the common names that hold the term, plus the histogram's bounds that hold
 * it as a share of the other names; a term in fewer than `COMMON_BOUNDS` bounds is not
 * estimated from them. A wrong guess costs time, never a different page: both ways find the
 * same datasets.
 */
export function isCommonTerm(nameKey: string, frequencies: TrigramFrequencies | undefined, cap: number): boolean {
  if (!frequencies) return false;
  const { common, bounds, boundsShare } = frequencies.sample;
  let share = 0;
  for (const [name, nameShare] of common) if (name.includes(nameKey)) share += nameShare;
  let holding = 0;
  for (const bound of bounds) if (bound.includes(nameKey)) holding += 1;
  if (holding >= COMMON_BOUNDS) share += (holding / bounds.length) * boundsShare;
  return share * frequencies.names > COMMON_PER_CAP * cap;
}

/**
 * PostgreSQL: the common table expression `found`, up to the cap plus one of the ids of the
 * datasets whose name holds `nameKey`: through the lists of `postgresCoverOf`, or through the
 * whole pattern when there are none (migration 019).
 */
export function postgresFoundSql(p: Parameters, q: MatchAccess, cap: number, nameKey: string, lists: string[]): string {
  return `found as materialized (select dataset_name_matches_within(${p.add(lists)}::text[], ${p.add(nameKey)}, ${p.add(q.search.pattern)}, ${p.add(cap + 1)}) as ids)`;
}

/**
 * PostgreSQL: the candidates of a search page, in the page's own statement. The matches in
 * `found` that the user may see serve the page when they are no more than the cap; the keyset
 * scan with the LIKE as a filter (`scan`) when there are more. Each arm is gated by a condition
 * that PostgreSQL evaluates once, before it reads anything of that arm, so a page reads one.
 */
export function postgresSearchSql(p: Parameters, q: MatchAccess, cap: number, scan: string): string {
  const matches = `(${matchPageSql(p, q, 'select unnest(f.ids) from found f', postgresPaths(q))})`;
  const within = p.add(cap);
  const count = '(select coalesce(cardinality(f.ids), 0) from found f)';
  return `select id, name_key from ${matches} indexed where ${count} <= ${within}
     union all
     select id, name_key from (${scan}) scanned where ${count} > ${within}`;
}
