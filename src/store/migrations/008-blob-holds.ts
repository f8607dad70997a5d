import type { Kysely } from 'kysely';

/** Blobs held by an instance while an item row about to point to them commits (for instances sharing one blob store). */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('blob_holds')
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('holder', 'text', (c) => c.notNull())
    .addColumn('held_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('blob_holds_pk', ['sha256', 'holder'])
    .execute();
}
