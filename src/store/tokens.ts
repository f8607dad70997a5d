import type { Insertable } from 'kysely';
import type { Db } from './database.js';
import type { AccessTokensTable } from './schema.js';

/**
 * Personal access tokens, stored by the hash of their secret. The lookup of a request's caller by
 * token is one prepared statement with the access check (accounts/tokens.ts, store/reader.ts).
 */

export async function insertAccessToken(db: Db, row: Insertable<AccessTokensTable>): Promise<void> {
  await db.insertInto('access_tokens').values(row).execute();
}

/** The user's tokens, newest first. */
export async function accessTokensOf(db: Db, userId: string) {
  return db
    .selectFrom('access_tokens')
    .select(['id', 'name', 'scope', 'expires_at', 'created_at', 'last_used_at'])
    .where('user_id', '=', userId)
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .execute();
}

/** Deletes one token of the user; false if they have none by that id. */
export async function deleteAccessTokenOfUser(db: Db, userId: string, tokenId: string): Promise<boolean> {
  const result = await db.deleteFrom('access_tokens').where('id', '=', tokenId).where('user_id', '=', userId).executeTakeFirst();
  return result.numDeletedRows !== 0n;
}

export async function deleteAccessTokensOfUser(db: Db, userId: string): Promise<void> {
  await db.deleteFrom('access_tokens').where('user_id', '=', userId).execute();
}
