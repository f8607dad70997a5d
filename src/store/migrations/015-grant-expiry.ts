import { type Kysely, sql } from 'kysely';
import type { MigrationContext } from './index.js';

/**
 * The next moment a grant leaves force, read in two index probes: a read remembered while the
 * database is unchanged (src/store/unchanged.ts) holds only until then. Only grants that
 * expire are indexed.
 */
export async function up(db: Kysely<unknown>, _context: MigrationContext): Promise<void> {
  await sql`create index user_grants_expiry on user_grants (expires_at) where expires_at is not null`.execute(db);
  await sql`create index team_grants_expiry on team_grants (expires_at) where expires_at is not null`.execute(db);
}
