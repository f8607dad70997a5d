import type { CallerCheck } from '../access/check.js';
import { DAY } from '../clock.js';
import type { Context } from '../context.js';
import { NotFound } from '../errors.js';
import { hashSecret } from '../secrets.js';
import type { Db } from '../store/database.js';
import { deleteSessionByHash, deleteSessionOfUser, deleteSessionsOf, insertSession, liveSessionsOf } from '../store/sessions.js';
import { callerOfCredential } from './caller.js';
import { type User, userOf } from './users.js';

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

/** The user behind a live session (see callerOfCredential), with the session's public id. */
export async function userOfSession(
  ctx: Context,
  token: string,
  checking?: string,
): Promise<{ user: User; sessionId: string; check: CallerCheck | undefined } | null> {
  const found = await callerOfCredential<{ session_id: string | null }>(ctx, 'sessions', hashSecret(token), checking);
  return found ? { user: userOf(found.caller), sessionId: found.caller.session_id ?? '', check: found.check } : null;
}
