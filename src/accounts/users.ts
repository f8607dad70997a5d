import type { Db } from '../store/database.js';
import type { UsersTable } from '../store/schema.js';

export interface User {
  id: string;
  email: string;
  name: string;
}

export function userOf(row: Pick<UsersTable, 'id' | 'email' | 'name'>): User {
  return { id: row.id, email: row.email, name: row.name };
}

export async function findUser(db: Db, userId: string): Promise<User | null> {
  const row = await db.selectFrom('users').select(['id', 'email', 'name']).where('id', '=', userId).executeTakeFirst();
  return row ? userOf(row) : null;
}

export async function findUserByEmail(db: Db, email: string): Promise<(User & { passwordHash: string }) | null> {
  const row = await db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
  return row ? { ...userOf(row), passwordHash: row.password_hash } : null;
}
