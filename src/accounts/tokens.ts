import type { CallerCheck } from '../access/check.js';
import type { TokenScope } from '../access/scope.js';
import { DAY } from '../clock.js';
import type { Context } from '../context.js';
import { Forbidden, InvalidRequest, NotFound } from '../errors.js';
import { hashSecret } from '../secrets.js';
import type { Db } from '../store/database.js';
import { accessTokensOf, deleteAccessTokenOfUser, deleteAccessTokensOfUser, insertAccessToken } from '../store/tokens.js';
import { callerOfCredential } from './caller.js';
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
  await insertAccessToken(ctx.db, row);
  return { id: row.id, name, scope: row.scope, expiresAt, createdAt: now, lastUsedAt: null, token };
}

export async function listAccessTokens(ctx: Context, userId: string): Promise<AccessTokenInfo[]> {
  // This instance's uses show at once; another instance's within seconds.
  await ctx.usage.flush();
  const rows = await accessTokensOf(ctx.db, userId);
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
  if (!(await deleteAccessTokenOfUser(ctx.db, userId, tokenId))) throw new NotFound('Token');
}

export async function deleteAccessTokensOf(db: Db, userId: string): Promise<void> {
  await deleteAccessTokensOfUser(db, userId);
}

/** The user and the scope behind a live access token (see callerOfCredential). */
export async function userOfAccessToken(
  ctx: Context,
  token: string,
  checking?: string,
): Promise<{ user: User; scope: TokenScope; check: CallerCheck | undefined } | null> {
  if (!token.startsWith(TOKEN_PREFIX)) return null;
  const found = await callerOfCredential<{ scope: TokenScope }>(ctx, 'access_tokens', hashSecret(token), checking);
  return found ? { user: userOf(found.caller), scope: found.caller.scope, check: found.check } : null;
}
