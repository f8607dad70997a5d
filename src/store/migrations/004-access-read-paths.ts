import { type Kysely, sql } from 'kysely';
import type { MigrationContext } from './index.js';

/**
 * Indexes for the two hot reads, measured by `npm run bench` (docs/performance.md).
 *
 * The check: covering indexes, so each grant fact is one index probe with no table lookup
 * (the membership already has one: org_members_user).
 *
 * The inventory: each grant keeps a copy of its dataset's sort key (`name_key`), so the
 * datasets one team or one user holds grants on can be read in keyset order straight from an
 * index, one page at a time, instead of joining every grant to its dataset and sorting. The
 * copy is the database's job: a trigger fills it on every new grant and another follows a rename.
 */
export async function up(db: Kysely<unknown>, { dialect }: MigrationContext): Promise<void> {
  const sortableText = dialect === 'postgres' ? sql`text collate "C"` : sql`text`;

  await db.schema.createIndex('user_grants_check').on('user_grants').columns(['dataset_id', 'user_id', 'level', 'expires_at']).execute();
  await db.schema.createIndex('team_grants_check').on('team_grants').columns(['dataset_id', 'team_id', 'level', 'expires_at']).execute();

  for (const table of ['user_grants', 'team_grants']) {
    await db.schema.alterTable(table).addColumn('name_key', sortableText).execute();
    await sql`update ${sql.table(table)} set name_key = (select d.name_key from datasets d where d.id = ${sql.ref(`${table}.dataset_id`)})`.execute(
      db,
    );
  }
  await db.schema
    .createIndex('user_grants_inventory')
    .on('user_grants')
    .columns(['user_id', 'name_key', 'dataset_id', 'level', 'expires_at'])
    .execute();
  await db.schema
    .createIndex('team_grants_inventory')
    .on('team_grants')
    .columns(['team_id', 'name_key', 'dataset_id', 'level', 'expires_at'])
    .execute();

  if (dialect === 'postgres') await postgresTriggers(db);
  else await sqliteTriggers(db);
}

async function sqliteTriggers(db: Kysely<unknown>): Promise<void> {
  for (const [table, subject] of [
    ['user_grants', 'user_id'],
    ['team_grants', 'team_id'],
  ] as const) {
    await sql
      .raw(
        `create trigger ${table}_sort_key after insert on ${table}
         when new.name_key is not (select name_key from datasets where id = new.dataset_id)
         begin
           update ${table} set name_key = (select name_key from datasets where id = new.dataset_id)
            where dataset_id = new.dataset_id and ${subject} = new.${subject};
         end`,
      )
      .execute(db);
  }
  await sql
    .raw(
      `create trigger datasets_sort_key_to_grants after update of name_key on datasets
       when new.name_key is not old.name_key
       begin
         update user_grants set name_key = new.name_key where dataset_id = new.id;
         update team_grants set name_key = new.name_key where dataset_id = new.id;
       end`,
    )
    .execute(db);
}

async function postgresTriggers(db: Kysely<unknown>): Promise<void> {
  // FOR SHARE waits for a rename in flight, so a new grant never copies a name older than the committed one.
  await sql
    .raw(
      `create function grant_sort_key() returns trigger language plpgsql set search_path from current as $$
       begin
         select d.name_key into new.name_key from datasets d where d.id = new.dataset_id for share;
         return new;
       end $$`,
    )
    .execute(db);
  for (const table of ['user_grants', 'team_grants']) {
    await sql.raw(`create trigger ${table}_sort_key before insert on ${table} for each row execute function grant_sort_key()`).execute(db);
  }
  await sql
    .raw(
      `create function dataset_sort_key_to_grants() returns trigger language plpgsql set search_path from current as $$
       begin
         update user_grants set name_key = new.name_key where dataset_id = new.id;
         update team_grants set name_key = new.name_key where dataset_id = new.id;
         return null;
       end $$`,
    )
    .execute(db);
  await sql
    .raw(
      `create trigger datasets_sort_key_to_grants after update of name_key on datasets
       for each row when (new.name_key is distinct from old.name_key) execute function dataset_sort_key_to_grants()`,
    )
    .execute(db);
}
