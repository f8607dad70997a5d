import type { TokenScope } from '../access/scope.js';
import { DAY } from '../clock.js';
import type { Context } from '../context.js';
import { Forbidden, InvalidRequest, NotFound } from '../errors.js';
import { hashSecret } from '../secrets.js';
import type { Db } from '../store/database.js';
import { dialectOf, Parameters, readSql } from '../store/reader.js';
import { type User, userOf } from './users.js';

export const TOKEN_PREFIX = 'tsr_';
export const TOKEN_DEFAULT_LIFETIME_MS = 90 * DAY;
export const TOKEN_MAX_LIFETIME_MS = 366 * DAY;

export interface AccessTokenInfo {
  id: string;
  name: string;
  scope: TokenScope;
  expiresAt: number | null;
  createdAt: number;
  lastUsedAt: number | null;
}

export interface NewAccessToken {
  name: string;
  scope?: TokenScope | undefined;
  expiresAt?: number | undefined;
}

/** Only an account whose owner proved the mailbox may mint tokens: a squatter's account cannot. */
export async function createAccessToken(
  ctx: Context,
  user: User,
  input: NewAccessToken,
): Promise<AccessTokenInfo & { token: string; expiresAt: number }> {
  if (!user.emailVerified) throw new Forbidden('Verify your e-mail address before creating access tokens.', 'email_unverified');
  const name = input.name.trim();
  if (!name) throw new InvalidRequest('Give the token a name.', { field: 'name' });
  const now = ctx.clock.now();
  const expiresAt = input.expiresAt ?? now + TOKEN_DEFAULT_LIFETIME_MS;
  if (expiresAt <= now) throw new InvalidRequest('The expiry date must be in the future.', { field: 'expiresAt' });
  if (expiresAt > now + TOKEN_MAX_LIFETIME_MS) {
    throw new InvalidRequest('A token lives at most 366 days.', { field: 'expiresAt' });
  }
  const token = `${TOKEN_PREFIX}${ctx.random.secret()}`;
  const row = {
    id: ctx.random.id('tok'),
    user_id: user.id,
    name,
    scope: input.scope ?? 'admin',
    token_hash: hashSecret(token),
    created_at: now,
    last_used_at: null,
    expires_at: expiresAt,
  } as const;
  await ctx.db.insertInto('access_tokens').values(row).execute();
  return { id: row.id, name, scope: row.scope, expiresAt, createdAt: now, lastUsedAt: null, token };
}

export async function listAccessTokens(ctx: Context, userId: string): Promise<AccessTokenInfo[]> {
  const rows = await ctx.db
    .selectFrom('access_tokens')
    .select(['id', 'name', 'scope', 'expires_at', 'created_at', 'last_used_at'])
    .where('user_id', '=', userId)
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    scope: r.scope,
    expiresAt: r.expires_at,
    createdAt: r.created_at,
    lastUsedAt: r.last_used_at,
  }));
}

export async function deleteAccessToken(ctx: Context, userId: string, tokenId: string): Promise<void> {
  const result = await ctx.db.deleteFrom('access_tokens').where('id', '=', tokenId).where('user_id', '=', userId).executeTakeFirst();
  if (result.numDeletedRows === 0n) throw new NotFound('Token');
}

export async function deleteAccessTokensOf(db: Db, userId: string): Promise<void> {
  await db.deleteFrom('access_tokens').where('user_id', '=', userId).execute();
}

/**
 * The user and the scope of a live token. Prepared once, never cached, so a revoked token is
 * refused on the next request; last use is kept to the minute so a busy script does not write
 * on every request.
 */
export async function userOfAccessToken(ctx: Context, token: string): Promise<{ user: User; scope: TokenScope } | null> {
  if (!token.startsWith(TOKEN_PREFIX)) return null;
  const tokenHash = hashSecret(token);
  const now = ctx.clock.now();
  const p = new Parameters(dialectOf(ctx.db));
  const text = `select u.id, u.email, u.name, u.email_verified, t.scope, t.last_used_at
    from access_tokens t join users u on u.id = t.user_id
    where t.token_hash = ${p.add(tokenHash)} and (t.expires_at is null or t.expires_at > ${p.add(now)})`;
  const [row] = await readSql<{
    id: string;
    email: string;
    name: string;
    email_verified: number;
    scope: TokenScope;
    last_used_at: number | null;
  }>(ctx.db, text, p.values, { prepare: true });
  if (!row) return null;
  if (row.last_used_at === null || Number(row.last_used_at) < now - 60_000) {
    await ctx.db.updateTable('access_tokens').set({ last_used_at: now }).where('token_hash', '=', tokenHash).execute();
  }
  return { user: userOf(row), scope: row.scope };
}
