import { type Kysely, sql } from 'kysely';
import type { MigrationContext } from './index.js';

/**
 * PostgreSQL: how often each trigram occurs in dataset names, and the name search through the
 * rarest of a term's trigrams (src/access/inventory-search.ts).
 *
 * The trigram index (migration 013) answers `name_key like '%sonar 123%'` by reading the posting
 * list of every trigram of the term, seven here, three of them in one name in sixteen: about
 * 3 ms at a million names, where "123" and "nar" alone take 0.7 for a superset of 146.
 * PostgreSQL keeps no count per trigram, but ANALYZE keeps the most common elements of an array
 * expression and their frequencies: extended statistics on `show_trgm(name_key)` (PostgreSQL 14
 * and later) give the thousand most common trigrams, the rest being rarer than the last of them.
 * ANALYZE runs here once so that a database already full of names has them at once; autovacuum
 * keeps them current after that.
 *
 * `dataset_name_matches_within` reads the names holding every one of up to three LIKE patterns of
 * one trigram each (`lists`, chosen by the caller from those statistics) and keeps those that
 * contain `term`, up to `cap`. Its statement is written in the function, so after its first few
 * calls on a connection it runs a plan kept for it: a bitmap scan of the index for those lists.
 * With no lists, it is `dataset_name_matches` (migration 017), planned for the pattern at hand.
 * Like that one, it is created whether or not the database has pg_trgm: the trigram index may be
 * created later (migration 013), and the search then calls it. The statistics need pg_trgm's
 * `show_trgm`: without them the search keeps the whole pattern.
 */
export async function up(db: Kysely<unknown>, { dialect }: MigrationContext): Promise<void> {
  if (dialect !== 'postgres') return;
  await sql
    .raw(
      `create function dataset_name_matches_within(lists text[], term text, pattern text, cap integer) returns text[]
         language plpgsql stable parallel safe set search_path from current
       as $body$
       begin
         if coalesce(cardinality(lists), 0) = 0 then
           return dataset_name_matches(pattern, cap);
         end if;
         return array(select id from datasets
                       where name_key like lists[1] and name_key like coalesce(lists[2], lists[1])
                         and name_key like coalesce(lists[3], lists[1]) and strpos(name_key, term) > 0
                       limit cap);
       end
       $body$`,
    )
    .execute(db);
  const installed = await sql<{ schema: string; version: number }>`
    select n.nspname as schema, current_setting('server_version_num')::int as version
      from pg_extension e join pg_namespace n on n.oid = e.extnamespace where e.extname = 'pg_trgm'`.execute(db);
  const trgm = installed.rows[0];
  // Statistics on expressions came with PostgreSQL 14.
  if (trgm === undefined || trgm.version < 140000) return;
  await sql`create statistics datasets_name_trigrams on (${sql.id(trgm.schema)}.show_trgm(name_key)) from datasets`.execute(db);
  await sql`analyze datasets`.execute(db);
}
