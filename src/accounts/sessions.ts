import { DAY } from '../clock.js';
import type { Context } from '../context.js';
import { hashSecret, newSecret } from '../secrets.js';
import type { Db } from '../store/database.js';
import { type User, userOf } from './users.js';

export const SESSION_LIFETIME_MS = 30 * DAY;
export const TOKEN_PREFIX = 'tsr_';

/** Sessions are random ids stored hashed, so any instance can verify them and logout is global. */
export async function startSession(ctx: Context, db: Db, userId: string): Promise<{ token: string; expiresAt: number }> {
  const token = newSecret();
  const now = ctx.clock.now();
  const expiresAt = now + SESSION_LIFETIME_MS;
  await db
    .insertInto('sessions')
    .values({ token_hash: hashSecret(token), user_id: userId, created_at: now, expires_at: expiresAt })
    .execute();
  return { token, expiresAt };
}

export async function endSession(ctx: Context, token: string): Promise<void> {
  await ctx.db.deleteFrom('sessions').where('token_hash', '=', hashSecret(token)).execute();
}

export async function userOfSession(ctx: Context, token: string): Promise<User | null> {
  const row = await ctx.db
    .selectFrom('sessions as s')
    .innerJoin('users as u', 'u.id', 's.user_id')
    .select(['u.id', 'u.email', 'u.name'])
    .where('s.token_hash', '=', hashSecret(token))
    .where('s.expires_at', '>', ctx.clock.now())
    .executeTakeFirst();
  return row ? userOf(row) : null;
}

export async function userOfAccessToken(ctx: Context, token: string): Promise<User | null> {
  if (!token.startsWith(TOKEN_PREFIX)) return null;
  const tokenHash = hashSecret(token);
  const row = await ctx.db
    .selectFrom('access_tokens as t')
    .innerJoin('users as u', 'u.id', 't.user_id')
    .select(['u.id', 'u.email', 'u.name', 't.last_used_at'])
    .where('t.token_hash', '=', tokenHash)
    .executeTakeFirst();
  if (!row) return null;
  const now = ctx.clock.now();
  // Last use is kept to the minute, so a busy script does not write on every request.
  if (row.last_used_at === null || row.last_used_at < now - 60_000) {
    await ctx.db.updateTable('access_tokens').set({ last_used_at: now }).where('token_hash', '=', tokenHash).execute();
  }
  return userOf(row);
}
