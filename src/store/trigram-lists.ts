import type { Reader } from './reader.js';

/**
 * How many leaf pages each trigram's list spans in SQLite's trigram table of dataset names
 * (migration 013), read from FTS5's own b-tree of its leaves. `dataset_names_idx` has a row for
 * each leaf page on which a term begins, keyed by the segment and by (a prefix of) that term
 * after the index's number, `0` for the table's one index; its page number is doubled, plus one
 * when the term has a list index of its own. A trigram's list lies between the last page keyed
 * at or before it and the first keyed after it, or else the segment's last leaf: the leaves are
 * the rows of `dataset_names_data` numbered from the segment's number shifted left by 37 (FTS5's
 * `FTS5_SEGMENT_ROWID`). That distance bounds the list from above: a few names share a page, a
 * trigram in one name in sixteen spans dozens at a million names. A list that spans three pages
 * or more fills the one between its first and its last: several hundred names at least. The
 * format is SQLite's file format, which SQLite keeps readable by every later version.
 *
 * Two or three seeks per trigram and segment (segments are few: FTS5 merges them), skipping
 * from segment to segment through the primary key. Only an estimate, used to choose which lists
 * to read (access/inventory-search.ts): it is an upper bound for an absent trigram.
 */
const TRIGRAM_PAGES_SQL = `
  with recursive segments(id) as (
    select min(segid) from dataset_names_idx
    union all
    select (select min(x.segid) from dataset_names_idx x where x.segid > s.id) from segments s where s.id is not null
  ),
  keys(place, term) as (select key, cast('0' || value as blob) from json_each(?)),
  spans(place, first, next) as (
    select k.place,
      (select x.pgno >> 1 from dataset_names_idx x where x.segid = s.id and x.term <= k.term order by x.term desc limit 1),
      coalesce(
        (select x.pgno >> 1 from dataset_names_idx x where x.segid = s.id and x.term > k.term order by x.term limit 1),
        (select max(d.id) from dataset_names_data d where d.id between s.id << 37 and (s.id << 37) + 2147483647) - (s.id << 37) + 1)
    from keys k join segments s on s.id is not null
  )
  select place, sum(next - coalesce(first, next)) as pages from spans group by place`;

/** The leaf pages each of `trigrams` spans, in their order, summed over the segments: at least one in each. */
export function trigramListPages(reader: Reader, trigrams: string[]): number[] {
  const pages = trigrams.map(() => 0);
  for (const row of reader.all<{ place: number; pages: number | null }>(TRIGRAM_PAGES_SQL, [JSON.stringify(trigrams)])) {
    pages[row.place] = row.pages ?? 0;
  }
  return pages;
}
