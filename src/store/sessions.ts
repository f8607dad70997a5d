import type { Insertable } from 'kysely';
import type { Db } from './database.js';
import type { SessionsTable } from './schema.js';

/**
 * Browser sessions, stored by the hash of their secret. The lookup of a request's caller by
 * session is one prepared statement with the access check (accounts/sessions.ts, store/reader.ts).
 */

export async function insertSession(db: Db, row: Insertable<SessionsTable>): Promise<void> {
  await db.insertInto('sessions').values(row).execute();
}

export async function deleteSessionByHash(db: Db, tokenHash: string): Promise<void> {
  await db.deleteFrom('sessions').where('token_hash', '=', tokenHash).execute();
}

/** Deletes every session of the user, but the one named `keepId` if given. */
export async function deleteSessionsOf(db: Db, userId: string, keepId: string | null): Promise<void> {
  let query = db.deleteFrom('sessions').where('user_id', '=', userId);
  if (keepId !== null) query = query.where((eb) => eb.or([eb('id', 'is', null), eb('id', '!=', keepId)]));
  await query.execute();
}

/** Deletes one session of the user by its public id; false if they have none by that id. */
export async function deleteSessionOfUser(db: Db, userId: string, sessionId: string): Promise<boolean> {
  const result = await db.deleteFrom('sessions').where('id', '=', sessionId).where('user_id', '=', userId).executeTakeFirst();
  return result.numDeletedRows !== 0n;
}

/** The user's sessions that have not expired, newest first. */
export async function liveSessionsOf(db: Db, userId: string, now: number) {
  return db
    .selectFrom('sessions')
    .select(['id', 'created_at', 'last_used_at', 'user_agent'])
    .where('user_id', '=', userId)
    .where('expires_at', '>', now)
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .execute();
}
