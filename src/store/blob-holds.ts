import { SqliteAdapter, sql } from 'kysely';
import type { Executor } from './database.js';

/** The advisory lock class of decisions about blobs ("blob"), apart from any other advisory lock. */
const BLOB_LOCKS = 0x626c6f62;

/**
 * Until the transaction ends, no other transaction decides about the same blob. On SQLite every
 * transaction already holds the database's write lock from its start (BEGIN IMMEDIATE), which
 * excludes every other decision in every process.
 */
export async function lockBlob(tx: Executor, sha256: string): Promise<void> {
  if (tx.getExecutor().adapter instanceof SqliteAdapter) return;
  const key = Number.parseInt(sha256.slice(0, 8), 16) | 0;
  await sql`select pg_advisory_xact_lock(${BLOB_LOCKS}::int4, ${key}::int4)`.execute(tx);
}

export async function insertHold(tx: Executor, sha256: string, holder: string, now: number): Promise<void> {
  await tx
    .insertInto('blob_holds')
    .values({ sha256, holder, held_at: now })
    .onConflict((oc) => oc.columns(['sha256', 'holder']).doUpdateSet({ held_at: now }))
    .execute();
}

export async function deleteHold(db: Executor, sha256: string, holder: string): Promise<void> {
  await db.deleteFrom('blob_holds').where('sha256', '=', sha256).where('holder', '=', holder).execute();
}

/** Whether any instance holds the blob with a hold taken after `since`. Primary key (sha256, holder). */
export async function heldAnywhere(tx: Executor, sha256: string, since: number): Promise<boolean> {
  const row = await tx
    .selectFrom('blob_holds')
    .select('holder')
    .where('sha256', '=', sha256)
    .where('held_at', '>=', since)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}
