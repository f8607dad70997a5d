import { DAY } from '../clock.js';
import type { Context } from '../context.js';
import { hashSecret, newSecret } from '../secrets.js';
import type { Db } from '../store/database.js';
import { dialectOf, Parameters, readSql } from '../store/reader.js';
import { type User, userOf } from './users.js';

type UserRow = { id: string; email: string; name: string };

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

/**
 * Every API request resolves its caller, so both lookups are statements prepared once (see
 * store/reader.ts) and never cached: a logout or a revoked token holds for the next request.
 */
export async function userOfSession(ctx: Context, token: string): Promise<User | null> {
  const p = new Parameters(dialectOf(ctx.db));
  const text = `select u.id, u.email, u.name from sessions s join users u on u.id = s.user_id
    where s.token_hash = ${p.add(hashSecret(token))} and s.expires_at > ${p.add(ctx.clock.now())}`;
  const [row] = await readSql<UserRow>(ctx.db, text, p.values, { prepare: true });
  return row ? userOf(row) : null;
}

export async function userOfAccessToken(ctx: Context, token: string): Promise<User | null> {
  if (!token.startsWith(TOKEN_PREFIX)) return null;
  const tokenHash = hashSecret(token);
  const p = new Parameters(dialectOf(ctx.db));
  const text = `select u.id, u.email, u.name, t.last_used_at from access_tokens t join users u on u.id = t.user_id
    where t.token_hash = ${p.add(tokenHash)}`;
  const [row] = await readSql<UserRow & { last_used_at: number | null }>(ctx.db, text, p.values, { prepare: true });
  if (!row) return null;
  const now = ctx.clock.now();
  // Last use is kept to the minute, so a busy script does not write on every request.
  if (row.last_used_at === null || row.last_used_at < now - 60_000) {
    await ctx.db.updateTable('access_tokens').set({ last_used_at: now }).where('token_hash', '=', tokenHash).execute();
  }
  return userOf(row);
}
