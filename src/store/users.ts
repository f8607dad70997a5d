import type { Insertable, Updateable } from 'kysely';
import type { Db } from './database.js';
import type { UsersTable } from './schema.js';

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

/** The account linked to this identity at an OpenID Connect provider. */
export async function findUserByIdentity(db: Db, issuer: string, subject: string): Promise<User | null> {
  const row = await db
    .selectFrom('users')
    .select(USER_COLUMNS)
    .where('oidc_issuer', '=', issuer)
    .where('oidc_subject', '=', subject)
    .executeTakeFirst();
  return row ? userOf(row) : null;
}

/** An account without a password hash signs in only through its provider (or a reset link). */
export const NO_PASSWORD = '';

export interface ProviderLink {
  issuer: string | null;
  subject: string | null;
  hasPassword: boolean;
}

export async function providerLinkOf(db: Db, userId: string): Promise<ProviderLink | null> {
  const row = await db
    .selectFrom('users')
    .select(['oidc_issuer', 'oidc_subject', 'password_hash'])
    .where('id', '=', userId)
    .executeTakeFirst();
  return row ? { issuer: row.oidc_issuer, subject: row.oidc_subject, hasPassword: row.password_hash !== NO_PASSWORD } : null;
}

/** The user's display name, if the account exists. */
export async function userName(db: Db, userId: string): Promise<{ name: string } | undefined> {
  return db.selectFrom('users').select('name').where('id', '=', userId).executeTakeFirst();
}

/** Whether an account uses this address. */
export async function accountExists(db: Db, email: string): Promise<boolean> {
  return (await db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst()) !== undefined;
}

export async function insertUser(tx: Db, row: Insertable<UsersTable>): Promise<void> {
  await tx.insertInto('users').values(row).execute();
}

export async function updateUser(
  tx: Db,
  userId: string,
  set: Pick<Updateable<UsersTable>, 'name' | 'password_hash' | 'email_verified' | 'oidc_issuer' | 'oidc_subject'>,
): Promise<void> {
  await tx.updateTable('users').set(set).where('id', '=', userId).execute();
}
