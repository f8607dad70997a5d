import type { Db } from './database.js';

/** The user's display name, if the account exists. */
export async function userName(db: Db, userId: string): Promise<{ name: string } | undefined> {
  return db.selectFrom('users').select('name').where('id', '=', userId).executeTakeFirst();
}

/** Whether an account uses this address. */
export async function accountExists(db: Db, email: string): Promise<boolean> {
  return (await db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst()) !== undefined;
}
