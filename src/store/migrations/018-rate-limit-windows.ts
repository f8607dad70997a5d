import type { Kysely } from 'kysely';
import type { MigrationContext } from './index.js';

/**
 * Counters whose windows have closed are removed (src/accounts/limits.ts): an index on when each
 * window opened finds them without reading the table.
 */
export async function up(db: Kysely<unknown>, _context: MigrationContext): Promise<void> {
  await db.schema.createIndex('rate_limits_window').on('rate_limits').column('window_start').execute();
}
