import type { Db } from './database.js';

/** The one-time links mailed to an account: password resets and address verifications. */
type LinkTable = 'password_resets' | 'email_verifications';

/** Replaces the account's unused links of this kind with a new one; only the hash of its secret is kept. */
export async function replaceUnusedLink(
  tx: Db,
  table: LinkTable,
  link: { tokenHash: string; userId: string; expiresAt: number; at: number },
): Promise<void> {
  await deleteUnusedLinks(tx, table, link.userId);
  await tx
    .insertInto(table)
    .values({ token_hash: link.tokenHash, user_id: link.userId, expires_at: link.expiresAt, used_at: null, created_at: link.at })
    .execute();
}

export async function deleteUnusedLinks(tx: Db, table: LinkTable, userId: string): Promise<void> {
  await tx.deleteFrom(table).where('user_id', '=', userId).where('used_at', 'is', null).execute();
}

/** The account a live (unused, unexpired) link belongs to. */
export async function liveLinkOwner(db: Db, table: LinkTable, tokenHash: string, now: number): Promise<{ user_id: string } | undefined> {
  return db
    .selectFrom(table)
    .select(['user_id'])
    .where('token_hash', '=', tokenHash)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
}

/** The account of a live password reset link, with what a password must not resemble. */
export async function liveResetAccount(
  db: Db,
  tokenHash: string,
  now: number,
): Promise<{ id: string; email: string; name: string } | undefined> {
  return db
    .selectFrom('password_resets as r')
    .innerJoin('users as u', 'u.id', 'r.user_id')
    .select(['u.id', 'u.email', 'u.name'])
    .where('r.token_hash', '=', tokenHash)
    .where('r.used_at', 'is', null)
    .where('r.expires_at', '>', now)
    .executeTakeFirst();
}

/** Marks an unused link used; false when another request used it first. One statement, so racing uses cannot both win. */
export async function useLink(tx: Db, table: LinkTable, tokenHash: string, now: number): Promise<boolean> {
  const claimed = await tx
    .updateTable(table)
    .set({ used_at: now })
    .where('token_hash', '=', tokenHash)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  return Number(claimed.numUpdatedRows) > 0;
}
