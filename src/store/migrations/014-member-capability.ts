import { type Kysely, sql } from 'kysely';
import type { MigrationContext } from './index.js';

/**
 * The access check reads a member's capability to process datasets in the same index probe as
 * their role (src/access/check.ts), so a dataset's `allowedActions` need no second read: the
 * membership index by user now covers `process_datasets` too. Same name, so the statements
 * that name the index keep it.
 */
export async function up(db: Kysely<unknown>, _context: MigrationContext): Promise<void> {
  await sql`drop index org_members_user`.execute(db);
  await db.schema.createIndex('org_members_user').on('org_members').columns(['user_id', 'org_id', 'role', 'process_datasets']).execute();
}
