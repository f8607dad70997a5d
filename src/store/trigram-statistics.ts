import type { Db } from './database.js';
import { readSql } from './reader.js';

/**
 * PostgreSQL's estimate of how often trigrams occur in dataset names (migration 019): ANALYZE's
 * most common elements of `show_trgm(name_key)`, each with the share of names holding it.
 * A trigram not among them is rarer than `rarest`.
 */
export interface TrigramFrequencies {
  /** How many names the table held when it was last analyzed. */
  names: number;
  frequencies: Map<string, number>;
  rarest: number;
}

// The frequencies end with three more figures: the lowest and highest of them, and the share of null elements.
const FREQUENCIES_SQL = `
  select e.most_common_elems::text::text[] as trigrams, e.most_common_elem_freqs as frequencies,
         (select c.reltuples from pg_class c where c.oid = 'datasets'::regclass) as names
    from pg_stats_ext_exprs e
   where e.statistics_schemaname = current_schema() and e.statistics_name = 'datasets_name_trigrams'`;

/** How long the frequencies read are used before they are read again (in the background). */
export const TRIGRAM_FREQUENCIES_AGE_MS = 10 * 60_000;

const known = new WeakMap<object, { read: number; value: Promise<TrigramFrequencies | undefined> }>();

/**
 * The trigram frequencies of this store's names, or undefined while there are none (a database
 * never analyzed, or PostgreSQL before 14). Read once per store, then again in the background
 * once `TRIGRAM_FREQUENCIES_AGE_MS` have passed, so that a page waits for them once per store.
 */
export function trigramFrequencies(db: Db, now = performance.now()): Promise<TrigramFrequencies | undefined> {
  const entry = known.get(db);
  if (entry && now - entry.read < TRIGRAM_FREQUENCIES_AGE_MS) return entry.value;
  const value = readTrigramFrequencies(db);
  if (!entry) {
    known.set(db, { read: now, value });
    return value;
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
  const rows = await readSql<{ trigrams: string[] | null; frequencies: number[] | null; names: number | null }>(
    db,
    FREQUENCIES_SQL,
    [],
  ).catch(() => []);
  const row = rows[0];
  if (!row?.trigrams || !row.frequencies || row.names === null || row.names <= 0) return undefined;
  const shares = row.frequencies;
  const frequencies = new Map(row.trigrams.map((trigram, i) => [trigram, Number(shares[i])]));
  return { names: Number(row.names), frequencies, rarest: Number(shares[row.trigrams.length]) };
}
