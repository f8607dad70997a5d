import { type Kysely, sql } from 'kysely';
import type { MigrationContext } from './index.js';

/**
 * PostgreSQL: the ids of the datasets whose `name_key` matches a LIKE pattern (backslash as the
 * escape), up to `cap`, for the inventory's name search (src/access/inventory.ts), which calls it
 * inside its one prepared statement, so that a search costs one round trip like any page.
 *
 * Its statement is run by EXECUTE and so planned for the pattern at hand on every call: through
 * the trigram index (migration 013) for a rare term, a scan that the LIMIT stops early for a
 * common one. Written in the page's statement, it would be planned once for any term (a generic
 * plan), which scans the whole table for a rare one. `datasets` is the one of the caller's search
 * path, as for every other statement.
 *
 * SQLite reads the matches through its FTS5 table on the read connection and needs nothing here.
 */
export async function up(db: Kysely<unknown>, { dialect }: MigrationContext): Promise<void> {
  if (dialect !== 'postgres') return;
  await sql
    .raw(
      `create function dataset_name_matches(pattern text, cap integer) returns text[]
         language plpgsql stable
       as $body$
       declare
         found text[];
       begin
         execute 'select array(select id from datasets where name_key like $1 escape ''\\'' limit $2)'
           into found using pattern, cap;
         return found;
       end
       $body$`,
    )
    .execute(db);
}
