import type { Db } from './database.js';
import { readSql } from './reader.js';

/**
 * What PostgreSQL's name search may use, asked once per store: the trigram index (migration 013;
 * none without pg_trgm) and the statistics of the names' trigrams (migration 019; PostgreSQL 14
 * and later, with pg_trgm). SQLite's trigram table is always there (its search needs neither).
 */
export interface NameSearchSupport {
  index: boolean;
  statistics: boolean;
}

const SUPPORT_SQL = `
  select exists (select 1 from pg_indexes where schemaname = current_schema() and indexname = 'datasets_name_trgm') as index,
         current_setting('server_version_num')::int >= 140000
           and exists (select 1 from pg_statistic_ext s join pg_namespace n on n.oid = s.stxnamespace
                        where n.nspname = current_schema() and s.stxname = 'datasets_name_trigrams') as statistics`;

const supports = new WeakMap<object, Promise<NameSearchSupport>>();

/** What this store's name search may use (PostgreSQL), read on its first search. */
export function nameSearchSupport(db: Db): Promise<NameSearchSupport> {
  let known = supports.get(db);
  if (!known) {
    known = readSql<NameSearchSupport>(db, SUPPORT_SQL, []).then(
      (rows) => ({ index: rows[0]?.index === true, statistics: rows[0]?.statistics === true }),
      (error) => {
        // Asked again by the next search: a database unreachable for a moment is not a store without an index.
        supports.delete(db);
        throw error;
      },
    );
    supports.set(db, known);
  }
  return known;
}

/**
 * PostgreSQL's estimate of how often trigrams occur in dataset names (migration 019): ANALYZE's
 * most common elements of `show_trgm(name_key)`, each with the share of names holding it.
 * A trigram not among them is about as rare as `rarest` or rarer (ANALYZE counts elements in a
 * sample, roughly).
 */
export interface TrigramFrequencies {
  /** How many names the table held when it was last analyzed. */
  names: number;
  frequencies: Map<string, number>;
  rarest: number;
  /**
   * ANALYZE's sample of the names themselves (`pg_stats` of `datasets.name_key`), as PostgreSQL's
   * planner reads it to estimate a LIKE: the most common names, each with its share, and the
   * histogram's bounds, which cut the other names (`boundsShare` of them) into equal parts.
   */
  sample: { common: Map<string, number>; bounds: string[]; boundsShare: number };
}

// The frequencies end with three more figures: the lowest and highest of them, and the share of
// null elements. The views show the statistics of tables the role owns (as it does the store's).
const FREQUENCIES_SQL = `
  select e.most_common_elems::text::text[] as trigrams, e.most_common_elem_freqs as frequencies,
         (select c.reltuples from pg_class c where c.oid = 'datasets'::regclass) as names,
         s.most_common_vals::text::text[] as common_names, s.most_common_freqs as common_shares,
         s.histogram_bounds::text::text[] as bounds, s.null_frac
    from pg_stats_ext_exprs e
    left join pg_stats s on s.schemaname = current_schema() and s.tablename = 'datasets' and s.attname = 'name_key'
   where e.statistics_schemaname = current_schema() and e.statistics_name = 'datasets_name_trigrams'`;

interface FrequenciesRow {
  trigrams: string[] | null;
  frequencies: number[] | null;
  names: number | null;
  common_names: string[] | null;
  common_shares: number[] | null;
  bounds: string[] | null;
  null_frac: number | null;
}

/** How long the frequencies read are used before they are read again (in the background). */
export const TRIGRAM_FREQUENCIES_AGE_MS = 10 * 60_000;

const known = new WeakMap<object, { read: number; value: Promise<TrigramFrequencies | undefined> }>();

/**
 * The trigram frequencies of this store's names, or undefined while there are none (a table never
 * analyzed, no statistics: `nameSearchSupport`). Read once per store, then again in the
 * background once `TRIGRAM_FREQUENCIES_AGE_MS` have passed, so that a page waits for them once per
 * store; a read that fails leaves the figures as they were, and the search as it would be without.
 */
export function trigramFrequencies(db: Db, now = performance.now()): Promise<TrigramFrequencies | undefined> {
  const entry = known.get(db);
  if (entry && now - entry.read < TRIGRAM_FREQUENCIES_AGE_MS) return entry.value;
  const value = readTrigramFrequencies(db);
  if (!entry) {
    const first = value.catch(() => undefined);
    known.set(db, { read: now, value: first });
    return first;
  }
  // Until the new figures are in, the old ones serve: a page never waits for a second read.
  entry.read = now;
  value.then(
    (fresh) => {
      entry.value = Promise.resolve(fresh);
    },
    () => {},
  );
  return entry.value;
}

async function readTrigramFrequencies(db: Db): Promise<TrigramFrequencies | undefined> {
  const rows = await readSql<FrequenciesRow>(db, FREQUENCIES_SQL, []);
  const row = rows[0];
  if (!row?.trigrams || !row.frequencies || row.names === null || row.names <= 0) return undefined;
  const shares = row.frequencies;
  const frequencies = new Map(row.trigrams.map((trigram, i) => [trigram, Number(shares[i])]));
  const commonShares = row.common_shares ?? [];
  const common = new Map((row.common_names ?? []).map((name, i) => [name, Number(commonShares[i] ?? 0)]));
  const boundsShare = Math.max(0, 1 - Number(row.null_frac ?? 0) - commonShares.reduce((sum, share) => sum + Number(share), 0));
  return {
    names: Number(row.names),
    frequencies,
    rarest: Number(shares[row.trigrams.length]),
    sample: { common, bounds: row.bounds ?? [], boundsShare },
  };
}
