import { checkColumnsSql, rememberCheck, splitCallerRow } from '../access/check.js';
import { DAY } from '../clock.js';
import type { Context } from '../context.js';
import { NotFound } from '../errors.js';
import { hashSecret } from '../secrets.js';
import type { Db } from '../store/database.js';
import { dialectOf, Parameters, readSql } from '../store/reader.js';
import { deleteSessionByHash, deleteSessionOfUser, deleteSessionsOf, insertSession, liveSessionsOf } from '../store/sessions.js';
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
  await insertSession(db, {
    id,
    token_hash: hashSecret(token),
    user_id: userId,
    created_at: now,
    expires_at: expiresAt,
    user_agent: userAgent?.slice(0, 256) ?? null,
    last_used_at: now,
  });
  return { id, token, expiresAt };
}

export async function endSession(ctx: Context, token: string): Promise<void> {
  await deleteSessionByHash(ctx.db, hashSecret(token));
}

/** Ends every session of the user, but the one named `keepId` if given. */
export async function endSessionsOf(db: Db, userId: string, keepId: string | null = null): Promise<void> {
  await deleteSessionsOf(db, userId, keepId);
}

export async function endSessionById(ctx: Context, userId: string, sessionId: string): Promise<void> {
  if (!(await deleteSessionOfUser(ctx.db, userId, sessionId))) throw new NotFound('Session');
}

export interface SessionInfo {
  id: string;
  createdAt: number;
  lastUsedAt: number | null;
  userAgent: string | null;
}

export async function listSessions(ctx: Context, userId: string): Promise<SessionInfo[]> {
  await ctx.usage.flush();
  const rows = await liveSessionsOf(ctx.db, userId, ctx.clock.now());
  return rows.map((r) => ({ id: r.id ?? '', createdAt: r.created_at, lastUsedAt: r.last_used_at, userAgent: r.user_agent }));
}

/**
 * Every API request resolves its caller, so the lookup is a statement prepared once (see
 * store/reader.ts) and never cached: a logout or an ended session holds for the next request.
 * Last use is kept to the minute and written in batches (access/usage.ts), never by the request. With
 * `checking`, the same statement also reads the caller's access to that dataset (see
 * userOfAccessToken).
 */
export async function userOfSession(ctx: Context, token: string, checking?: string): Promise<{ user: User; sessionId: string } | null> {
  const tokenHash = hashSecret(token);
  const now = ctx.clock.now();
  const dialect = dialectOf(ctx.db);
  const p = new Parameters(dialect);
  // Parameters in the order they appear: SQLite numbers them by place.
  const check = checking === undefined ? '' : `, ${checkColumnsSql('u.id', () => p.add(now), dialect === 'sqlite')}`;
  const dataset = checking === undefined ? '' : ` left join datasets d on d.id = ${p.add(checking)}`;
  const text = `select u.id as caller_id, u.email as caller_email, u.name as caller_name, u.email_verified as caller_email_verified,
      s.id as caller_session_id, s.last_used_at as caller_last_used_at${check}
    from sessions s join users u on u.id = s.user_id${dataset}
    where s.token_hash = ${p.add(tokenHash)} and s.expires_at > ${p.add(now)}`;
  const started = performance.now();
  const [row] = await readSql<Record<string, unknown>>(ctx.db, text, p.values, { prepare: true });
  if (!row) return null;
  const { caller, check: access } = splitCallerRow<UserRow & { session_id: string | null; last_used_at: number | null }>(row);
  if (checking !== undefined) rememberCheck(ctx.db, caller.id, checking, now, access, (performance.now() - started) / 1000);
  ctx.usage.touch('sessions', tokenHash, caller.last_used_at === null ? null : Number(caller.last_used_at), now);
  return { user: userOf(caller), sessionId: caller.session_id ?? '' };
}
