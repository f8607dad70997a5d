import { type Kysely, sql } from 'kysely';
import type { MigrationContext } from './index.js';

/**
 * Name search through a trigram index, so that a search finds the matching datasets first
 * instead of filtering every dataset the user can see (src/access/inventory.ts).
 *
 * SQLite: an FTS5 table of trigrams of each dataset's `name_key`, keyed by a row number of
 * its own (`dataset_name_rows`: dataset ids are text, and SQLite may renumber a table's
 * implicit rowids), kept by triggers on every insert, rename and delete of a dataset.
 *
 * PostgreSQL: a GIN index of `pg_trgm` trigrams on `name_key`, which serves `like '%…%'`.
 * The extension is trusted (any user allowed to create objects in the database may install
 * it); when it cannot be installed, the migration leaves the index out and the search keeps
 * its filter over the keyset scan. Installing the extension later and creating the index
 * (`create index datasets_name_trgm on datasets using gin (name_key <schema>.gin_trgm_ops)`)
 * turns the index path on at the next start of the server.
 */
export async function up(db: Kysely<unknown>, { dialect }: MigrationContext): Promise<void> {
  if (dialect === 'postgres') await postgresIndex(db);
  else for (const statement of SQLITE_NAME_SEARCH) await sql.raw(statement).execute(db);
}

/** The SQLite trigram table, its triggers and its backfill; also replayed after a bulk load. */
export const SQLITE_NAME_SEARCH = [
  `create table dataset_name_rows (row integer primary key, dataset_id text not null unique)`,
  // Names are searched by their lower-cased key: case-sensitive trigrams of it match exactly
  // what `name_key like '%…%'` matches, and the inventory checks the LIKE again on each hit.
  `create virtual table dataset_names using fts5(name_key, content='', contentless_delete=1, tokenize='trigram case_sensitive 1')`,
  `create trigger datasets_name_search_insert after insert on datasets
   begin
     insert into dataset_name_rows (dataset_id) values (new.id);
     insert into dataset_names (rowid, name_key) select row, new.name_key from dataset_name_rows where dataset_id = new.id;
   end`,
  `create trigger datasets_name_search_rename after update of name_key on datasets
   when new.name_key is not old.name_key
   begin
     delete from dataset_names where rowid = (select row from dataset_name_rows where dataset_id = old.id);
     insert into dataset_names (rowid, name_key) select row, new.name_key from dataset_name_rows where dataset_id = new.id;
   end`,
  `create trigger datasets_name_search_delete after delete on datasets
   begin
     delete from dataset_names where rowid = (select row from dataset_name_rows where dataset_id = old.id);
     delete from dataset_name_rows where dataset_id = old.id;
   end`,
  ...sqliteNameSearchRebuild(),
];

/** Refill the SQLite trigram table from the datasets (after loading them with the triggers set aside). */
export function sqliteNameSearchRebuild(): string[] {
  return [
    `insert into dataset_names (dataset_names) values ('delete-all')`,
    `delete from dataset_name_rows`,
    `insert into dataset_name_rows (dataset_id) select id from datasets order by id`,
    `insert into dataset_names (rowid, name_key) select r.row, d.name_key from dataset_name_rows r join datasets d on d.id = r.dataset_id`,
    // One b-tree instead of the segments of the load: a term's trigram lists are read in one piece (3–4× faster).
    `insert into dataset_names (dataset_names) values ('optimize')`,
  ];
}

async function postgresIndex(db: Kysely<unknown>): Promise<void> {
  // The migrations run in one transaction: a failed CREATE EXTENSION must not abort it.
  await sql`savepoint name_search`.execute(db);
  try {
    // In `public`, shared by every schema of the database, rather than in this one.
    await sql`create extension if not exists pg_trgm with schema public`.execute(db);
    await sql`release savepoint name_search`.execute(db);
  } catch {
    await sql`rollback to savepoint name_search`.execute(db);
  }
  const installed = await sql<{ schema: string }>`
    select n.nspname as schema from pg_extension e join pg_namespace n on n.oid = e.extnamespace where e.extname = 'pg_trgm'`.execute(db);
  const schema = installed.rows[0]?.schema;
  if (schema === undefined) return;
  await sql`create index datasets_name_trgm on datasets using gin (name_key ${sql.id(schema)}.gin_trgm_ops)`.execute(db);
}
