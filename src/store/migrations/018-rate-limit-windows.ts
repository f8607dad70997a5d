import { type Kysely, sql } from 'kysely';
import type { MigrationContext } from './index.js';

/**
 * Counters whose windows have closed are removed (src/accounts/limits.ts): an index on when each
 * window opened finds them without reading the table. Until now none was removed, so the closed
 * ones go first, before the index is built over them: those opened more than an hour and a
 * minute ago (the longest window, and the minute that limits.ts allows for clocks that differ).
 */
export async function up(db: Kysely<unknown>, _context: MigrationContext): Promise<void> {
  await sql`delete from rate_limits where window_start <= ${Date.now() - 61 * 60_000}`.execute(db);
  await db.schema.createIndex('rate_limits_window').on('rate_limits').column('window_start').execute();
}
