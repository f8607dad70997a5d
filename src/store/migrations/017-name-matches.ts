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
 * plan), which scans the whole table for a rare one. Its search path is the one it was created
 * with, like the triggers' functions of migration 004: `datasets` is the table of that schema.
 *
 * SQLite reads the matches through its FTS5 table on the read connection and needs nothing here.
 */
export async function up(db: Kysely<unknown>, { dialect }: MigrationContext): Promise<void> {
  if (dialect !== 'postgres') return;
  // The statement is dollar-quoted within the body, so its escape character is written as in the page's own LIKE.
  await sql
    .raw(
      `create function dataset_name_matches(pattern text, cap integer) returns text[]
         language plpgsql stable parallel safe set search_path from current
       as $body$
       declare
         found text[];
       begin
         execute $statement$select array(select id from datasets where name_key like $1 escape '\\' limit $2)$statement$
           into found using pattern, cap;
         return found;
       end
       $body$`,
    )
    .execute(db);
}
