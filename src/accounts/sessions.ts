import { DAY } from '../clock.js';
import type { Context } from '../context.js';
import { NotFound } from '../errors.js';
import { hashSecret } from '../secrets.js';
import type { Db } from '../store/database.js';
import { dialectOf, Parameters, readSql } from '../store/reader.js';
import { type User, userOf } from './users.js';

type UserRow = { id: string; email: string; name: string; email_verified: number };

export const SESSION_LIFETIME_MS = 30 * DAY;

export interface StartedSession {
  id: string;
  token: string;
  expiresAt: number;
}

/**
 * Sessions are random secrets stored hashed, so any instance can verify them and logout is
 * global. Each also has a public id, which names it in the list of the owner's sessions.
 */
export async function startSession(ctx: Context, db: Db, userId: string, userAgent: string | null): Promise<StartedSession> {
  const token = ctx.random.secret();
  const now = ctx.clock.now();
  const id = ctx.random.id('ses');
  const expiresAt = now + SESSION_LIFETIME_MS;
  await db
    .insertInto('sessions')
    .values({
      id,
      token_hash: hashSecret(token),
      user_id: userId,
      created_at: now,
      expires_at: expiresAt,
      user_agent: userAgent?.slice(0, 256) ?? null,
      last_used_at: now,
    })
    .execute();
  return { id, token, expiresAt };
}

export async function endSession(ctx: Context, token: string): Promise<void> {
  await ctx.db.deleteFrom('sessions').where('token_hash', '=', hashSecret(token)).execute();
}

/** Ends every session of the user, but the one named `keepId` if given. */
export async function endSessionsOf(db: Db, userId: string, keepId: string | null = null): Promise<void> {
  let query = db.deleteFrom('sessions').where('user_id', '=', userId);
  if (keepId !== null) query = query.where((eb) => eb.or([eb('id', 'is', null), eb('id', '!=', keepId)]));
  await query.execute();
}

export async function endSessionById(ctx: Context, userId: string, sessionId: string): Promise<void> {
  const result = await ctx.db.deleteFrom('sessions').where('id', '=', sessionId).where('user_id', '=', userId).executeTakeFirst();
  if (result.numDeletedRows === 0n) throw new NotFound('Session');
}

export interface SessionInfo {
  id: string;
  createdAt: number;
  lastUsedAt: number | null;
  userAgent: string | null;
}

export async function listSessions(ctx: Context, userId: string): Promise<SessionInfo[]> {
  const rows = await ctx.db
    .selectFrom('sessions')
    .select(['id', 'created_at', 'last_used_at', 'user_agent'])
    .where('user_id', '=', userId)
    .where('expires_at', '>', ctx.clock.now())
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .execute();
  return rows.map((r) => ({ id: r.id ?? '', createdAt: r.created_at, lastUsedAt: r.last_used_at, userAgent: r.user_agent }));
}

/**
 * Every API request resolves its caller, so the lookup is a statement prepared once (see
 * store/reader.ts) and never cached: a logout or an ended session holds for the next request.
 * Last use is kept to the minute, so a busy page does not write on every request.
 */
export async function userOfSession(ctx: Context, token: string): Promise<{ user: User; sessionId: string } | null> {
  const tokenHash = hashSecret(token);
  const now = ctx.clock.now();
  const p = new Parameters(dialectOf(ctx.db));
  const text = `select u.id, u.email, u.name, u.email_verified, s.id as session_id, s.last_used_at
    from sessions s join users u on u.id = s.user_id
    where s.token_hash = ${p.add(tokenHash)} and s.expires_at > ${p.add(now)}`;
  const [row] = await readSql<UserRow & { session_id: string | null; last_used_at: number | null }>(ctx.db, text, p.values, {
    prepare: true,
  });
  if (!row) return null;
  if (row.last_used_at === null || Number(row.last_used_at) < now - 60_000) {
    await ctx.db.updateTable('sessions').set({ last_used_at: now }).where('token_hash', '=', tokenHash).execute();
  }
  return { user: userOf(row), sessionId: row.session_id ?? '' };
}
