import { type Kysely, sql } from 'kysely';
import type { MigrationContext } from './index.js';

/**
 * PostgreSQL: what each commit changed that a caller or a check depends on, as migration 016
 * notes it on SQLite, so that reads remembered while nothing they depend on changed
 * (src/store/unchanged.ts) hold on PostgreSQL too. Migration 016 left PostgreSQL out, since
 * learning that nothing changed costs a round trip as a read does. But many requests share one
 * such round trip (the changes since the last look, one statement for all the requests that came
 * meanwhile), and it reads a few rows where the caller and the check read a dozen B-trees each.
 *
 * Every write to those tables notes the user and the dataset it concerns in `access_changes`,
 * with the writing transaction's id, through row triggers: every connection that writes, this
 * instance, another one, `psql` or a cascade of a foreign key. A reader keeps the snapshot of its
 * last look (`pg_current_snapshot()`), and its next look reads the changes that snapshot did not
 * see: those of transactions that committed since, whatever order their ids came in, and none of a
 * transaction still under way (it is read once it has committed). TRUNCATE notes a change that
 * names nothing, which makes every reader start afresh.
 *
 * The log keeps about ten minutes: one insert into it in a hundred removes the changes older than
 * that (in READ COMMITTED, skipping a horizon another transaction's removal holds, so it never
 * waits). Any removal, that one or an operator's DELETE, raises `access_changes_horizon.below`
 * to the newest transaction id removed, and a TRUNCATE of the log notes a change that names
 * nothing. A reader whose last snapshot may have needed a removed change (that id not below its
 * snapshot's oldest transaction under way) starts afresh.
 *
 * The triggers fire in the origin and local replication roles (the default), not in `replica`,
 * which is for a database no server reads meanwhile: the benchmark's loading, say. A database
 * that logical replication writes to is not one to serve from: the changes it replays carry no
 * note of this database's transactions. A reader remembers nothing while a trigger is missing or
 * disabled or the horizon is not one row (a trigger keeps it one row that only goes up), and
 * starts afresh when the horizon goes down or when any trigger of these tables, its function or
 * one of the tables has changed since its generation began (a trigger dropped and made again in
 * one transaction, a function replaced, a table rewritten). The log refuses updates: a note is
 * removed, never changed.
 */
export async function up(db: Kysely<unknown>, { dialect }: MigrationContext): Promise<void> {
  if (dialect === 'sqlite') {
    for (const statement of SQLITE_LAST_USE_UNNOTED) await sql.raw(statement).execute(db);
    return;
  }
  // The functions name the schema they were made in, not the search path (`"$user", public`
  // would find another schema's table for a role of that name).
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  const schema = `"${rows[0]!.schema.replaceAll('"', '""')}"`;
  for (const statement of postgresAccessChanges(schema)) await sql.raw(statement).execute(db);
}

interface Watched {
  table: string;
  /** The column naming the user, or the dataset, a row concerns. */
  user?: string;
  dataset?: string;
  /** A new row can change a remembered read (a grant, a membership), not only a changed one. */
  insert: boolean;
  /** The columns whose update matters; all when absent. */
  updateOf?: string[];
}

/** The columns of a session, and of a token, that decide its caller (accounts/caller.ts): all but the last use. */
const SESSION_COLUMNS = ['token_hash', 'id', 'user_id', 'expires_at'];
const TOKEN_COLUMNS = ['id', 'user_id', 'token_hash', 'scope', 'expires_at'];

/** Every table the caller statement and the check read (accounts/caller.ts, access/check.ts), as in migration 016. */
const WATCHED: Watched[] = [
  {
    table: 'user_grants',
    user: 'user_id',
    dataset: 'dataset_id',
    insert: true,
    updateOf: ['dataset_id', 'user_id', 'level', 'expires_at'],
  },
  { table: 'team_grants', dataset: 'dataset_id', insert: true, updateOf: ['dataset_id', 'team_id', 'level', 'expires_at'] },
  { table: 'team_members', user: 'user_id', insert: true },
  { table: 'org_members', user: 'user_id', insert: true, updateOf: ['org_id', 'user_id', 'role', 'process_datasets'] },
  // Any column: a remembered check carries the whole dataset row, which the route answers with.
  { table: 'datasets', dataset: 'id', insert: true },
  // A user, session or token is remembered only once it exists. Its last use, written every few
  // seconds for the sessions and tokens in use, is not what a caller is decided by.
  { table: 'users', user: 'id', insert: false },
  { table: 'sessions', user: 'user_id', insert: false, updateOf: SESSION_COLUMNS },
  { table: 'access_tokens', user: 'user_id', insert: false, updateOf: TOKEN_COLUMNS },
];

function noted(row: 'new' | 'old', { user, dataset }: Watched): string {
  return `${user ? `${row}.${user}` : 'null'}, ${dataset ? `${row}.${dataset}` : 'null'}`;
}

function triggersOf(watched: Watched, inSchema: string): string[] {
  const { table, updateOf } = watched;
  const into = 'insert into access_changes (user_id, dataset_id)';
  const columns = [watched.user, watched.dataset].filter((c): c is string => c !== undefined);
  const moved = columns.map((c) => `new.${c} is distinct from old.${c}`).join(' or ');
  const events = [...(watched.insert ? ['insert'] : []), `update${updateOf ? ` of ${updateOf.join(', ')}` : ''}`, 'delete'];
  return [
    `create function ${table}_access_note() returns trigger language plpgsql ${inSchema} as $body$
     begin
       if tg_op <> 'INSERT' then
         ${into} values (${noted('old', watched)});
       end if;
       if tg_op = 'INSERT' or (tg_op = 'UPDATE' and (${moved})) then
         ${into} values (${noted('new', watched)});
       end if;
       return null;
     end
     $body$`,
    `create trigger ${table}_access after ${events.join(' or ')} on ${table} for each row execute function ${table}_access_note()`,
    `create trigger ${table}_access_truncate after truncate on ${table} for each statement execute function access_changes_everything()`,
  ];
}

/**
 * The triggers above, each with its table: a remembered read is given only while all of them exist
 * and are enabled, and while neither they nor the tables have changed since the generation began
 * (src/store/unchanged.ts).
 */
export const POSTGRES_ACCESS_TRIGGERS: { table: string; name: string }[] = [
  { table: 'access_changes', name: 'access_changes_prune' },
  { table: 'access_changes', name: 'access_changes_removed' },
  { table: 'access_changes', name: 'access_changes_emptied' },
  { table: 'access_changes', name: 'access_changes_written_once' },
  { table: 'access_changes_horizon', name: 'access_changes_horizon_kept' },
  { table: 'access_changes_horizon', name: 'access_changes_horizon_whole' },
  ...WATCHED.flatMap((w) => [
    { table: w.table, name: `${w.table}_access` },
    { table: w.table, name: `${w.table}_access_truncate` },
  ]),
];

/** The tables whose rewriting (a new file, a changed definition) makes every reader start afresh. */
export const POSTGRES_ACCESS_TABLES = ['access_changes', 'access_changes_horizon', ...WATCHED.map((w) => w.table)];

/**
 * SQLite: migration 016's update triggers of sessions and tokens, made again for the columns that
 * decide a caller only (same names, so src/store/unchanged.ts still finds them all). Noting each
 * write of a last use forgot the callers of every session and token in use every few seconds, and
 * more than a thousand at once forgot everything.
 */
const SQLITE_LAST_USE_UNNOTED = [
  ['sessions', SESSION_COLUMNS],
  ['access_tokens', TOKEN_COLUMNS],
].flatMap(([table, columns]) => [
  `drop trigger ${table}_access_update`,
  `create trigger ${table}_access_update after update of ${(columns as string[]).join(', ')} on ${table}
   begin
     insert into access_changes (user_id, dataset_id) values (old.user_id, null);
     insert into access_changes (user_id, dataset_id) select new.user_id, null where new.user_id is not old.user_id;
   end`,
]);

function postgresAccessChanges(schema: string): string[] {
  // pg_temp last: a session's temporary table of the same name must not take the notes.
  const inSchema = `set search_path = ${schema}, pg_temp`;
  return [
    // A transaction's id as a number (pg_current_xact_id, 64 bits with its epoch: it never wraps).
    `create table access_changes (
       xid bigint not null default (pg_current_xact_id()::text::bigint),
       user_id text,
       dataset_id text,
       noted_at timestamptz not null default clock_timestamp())`,
    'create index access_changes_xid on access_changes (xid)',
    'create index access_changes_noted_at on access_changes (noted_at)',
    'create table access_changes_horizon (below bigint not null)',
    'insert into access_changes_horizon (below) values (0)',
    // The horizon only goes up, and stays one row.
    `create function access_changes_horizon_kept() returns trigger language plpgsql ${inSchema} as $body$
     begin
       if tg_op = 'UPDATE' and new.below >= old.below then
         return new;
       end if;
       raise exception 'access_changes_horizon only goes up';
     end
     $body$`,
    `create trigger access_changes_horizon_kept before update or delete on access_changes_horizon
       for each row execute function access_changes_horizon_kept()`,
    `create trigger access_changes_horizon_whole before truncate on access_changes_horizon
       for each statement execute function access_changes_horizon_kept()`,
    // A change that names nothing: every reader starts afresh.
    `create function access_changes_everything() returns trigger language plpgsql ${inSchema} as $body$
     begin
       insert into access_changes (user_id, dataset_id) values (null, null);
       return null;
     end
     $body$`,
    // The log is written once: a note changed in place could hide the change it notes.
    `create function access_changes_written_once() returns trigger language plpgsql ${inSchema} as $body$
     begin
       raise exception 'access_changes is written once: remove changes, never change them';
     end
     $body$`,
    'create trigger access_changes_written_once before update on access_changes for each row execute function access_changes_written_once()',
    // Whoever removes changes, the newest transaction id removed raises the horizon.
    `create function access_changes_removed() returns trigger language plpgsql ${inSchema} as $body$
     begin
       update access_changes_horizon set below = greatest(below, (select max(xid) from gone));
       return null;
     end
     $body$`,
    `create trigger access_changes_removed after delete on access_changes referencing old table as gone
       for each statement execute function access_changes_removed()`,
    `create trigger access_changes_emptied after truncate on access_changes for each statement execute function access_changes_everything()`,
    // Removes the changes older than \`older_than\`, unless another transaction is doing so.
    `create function access_changes_prune(older_than interval) returns void language plpgsql ${inSchema} as $body$
     begin
       perform 1 from access_changes_horizon for update skip locked;
       if found then
         -- Rows another transaction is removing are left to it: this one never waits for a row.
         delete from access_changes where ctid in (
           select ctid from access_changes where noted_at < clock_timestamp() - older_than for update skip locked);
       end if;
     end
     $body$`,
    // Only in READ COMMITTED, where taking the horizon never fails for a concurrent update.
    `create function access_changes_pruned() returns trigger language plpgsql ${inSchema} as $body$
     begin
       if random() < 0.01 and current_setting('transaction_isolation') = 'read committed' then
         perform access_changes_prune(interval '10 minutes');
       end if;
       return null;
     end
     $body$`,
    'create trigger access_changes_prune after insert on access_changes for each statement execute function access_changes_pruned()',
    ...WATCHED.flatMap((w) => triggersOf(w, inSchema)),
  ];
}
