import type { Kysely } from 'kysely';

/** When a team grant was last used to read, for the access review (direct grants had it from the start). */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('team_grants').addColumn('last_used_at', 'bigint').execute();
}
