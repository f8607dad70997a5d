import type { Db } from '../store/database.js';

export interface User {
  id: string;
  email: string;
  name: string;
  /** The owner proved the mailbox: a verification link, a password reset or an invitation. */
  emailVerified: boolean;
}

export function userOf(row: { id: string; email: string; name: string; email_verified: number }): User {
  return { id: row.id, email: row.email, name: row.name, emailVerified: Number(row.email_verified) === 1 };
}

const USER_COLUMNS = ['id', 'email', 'name', 'email_verified'] as const;

export async function findUser(db: Db, userId: string): Promise<User | null> {
  const row = await db.selectFrom('users').select(USER_COLUMNS).where('id', '=', userId).executeTakeFirst();
  return row ? userOf(row) : null;
}

export async function findUserByEmail(db: Db, email: string): Promise<(User & { passwordHash: string }) | null> {
  const row = await db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
  return row ? { ...userOf(row), passwordHash: row.password_hash } : null;
}

/** Marks the address as proved by its owner. */
export async function markEmailVerified(db: Db, userId: string): Promise<void> {
  await db.updateTable('users').set({ email_verified: 1 }).where('id', '=', userId).execute();
}
