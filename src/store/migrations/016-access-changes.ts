import { type Kysely, sql } from 'kysely';
import type { MigrationContext } from './index.js';

/**
 * What each commit changed that a caller or a check depends on, so that reads remembered while
 * nothing they depend on changed (src/store/unchanged.ts) outlive the commits that concern
 * others. Every write to the tables a caller or a check reads notes the user and the dataset it
 * concerns in `access_changes`, through triggers: they fire for every connection that writes, this
 * instance, another one, the command line or a cascade of a foreign key, and no code path can
 * forget them. Update triggers note the row before and after; a row that names neither user nor
 * dataset never occurs (each table below names one).
 *
 * The log keeps its last 10 000 changes: each hundredth change removes the hundred before the
 * last 10 000, a short delete in the transaction that makes it. A reader that finds the change
 * after the last one it read gone starts afresh.
 *
 * SQLite only: PostgreSQL remembers nothing (it cannot learn that nothing changed without the
 * round trip the read costs), so it gets neither the table nor the triggers.
 */
export async function up(db: Kysely<unknown>, { dialect }: MigrationContext): Promise<void> {
  if (dialect === 'postgres') return;
  for (const statement of SQLITE_ACCESS_CHANGES) await sql.raw(statement).execute(db);
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
  /**
   * The table's unique keys, as a condition on `new`: an `insert or replace` from outside the app
   * deletes the row it collides with and fires no delete trigger for it, so the user of any such
   * row is noted before the insert.
   */
  replaces?: string;
}

/** Every table the caller statement and the check read (accounts/caller.ts, access/check.ts). */
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
  // A user, session or token is remembered only once it exists.
  {
    table: 'users',
    user: 'id',
    insert: false,
    replaces: 'id = new.id or email = new.email or (oidc_issuer = new.oidc_issuer and oidc_subject = new.oidc_subject)',
  },
  { table: 'sessions', user: 'user_id', insert: false, replaces: 'token_hash = new.token_hash or id = new.id' },
  { table: 'access_tokens', user: 'user_id', insert: false, replaces: 'token_hash = new.token_hash or id = new.id' },
];

function noted(row: 'new' | 'old', { user, dataset }: Watched): string {
  return `${user ? `${row}.${user}` : 'null'}, ${dataset ? `${row}.${dataset}` : 'null'}`;
}

function triggersOf(watched: Watched): string[] {
  const { table, updateOf } = watched;
  const into = 'insert into access_changes (user_id, dataset_id)';
  const moved = [watched.user, watched.dataset]
    .filter((c): c is string => c !== undefined)
    .map((c) => `new.${c} is not old.${c}`)
    .join(' or ');
  return [
    ...(watched.replaces
      ? [
          `create trigger ${table}_access_replace before insert on ${table}
           begin
             ${into} select ${watched.user}, null from ${table} where ${watched.replaces};
           end`,
        ]
      : []),
    ...(watched.insert
      ? [`create trigger ${table}_access_insert after insert on ${table} begin ${into} values (${noted('new', watched)}); end`]
      : []),
    `create trigger ${table}_access_update after update${updateOf ? ` of ${updateOf.join(', ')}` : ''} on ${table}
     begin
       ${into} values (${noted('old', watched)});
       ${into} select ${noted('new', watched)} where ${moved};
     end`,
    `create trigger ${table}_access_delete after delete on ${table} begin ${into} values (${noted('old', watched)}); end`,
  ];
}

/**
 * The names of the triggers above: a remembered read is given only while all of them exist (a
 * table rebuilt with its triggers set aside would change unnoted). A later migration that
 * changes them changes what src/store/unchanged.ts expects.
 */
export const ACCESS_TRIGGERS = [
  'access_changes_prune',
  ...WATCHED.flatMap((w) => [
    ...(w.replaces ? [`${w.table}_access_replace`] : []),
    ...(w.insert ? [`${w.table}_access_insert`] : []),
    `${w.table}_access_update`,
    `${w.table}_access_delete`,
  ]),
];

export const SQLITE_ACCESS_CHANGES = [
  // AUTOINCREMENT: a number is never given twice, even after the last rows are removed.
  `create table access_changes (seq integer primary key autoincrement, user_id text, dataset_id text)`,
  `create trigger access_changes_prune after insert on access_changes when new.seq % 100 = 0
   begin
     delete from access_changes where seq <= new.seq - 10000;
   end`,
  ...WATCHED.flatMap(triggersOf),
];
