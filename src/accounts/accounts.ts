import { HOUR } from '../clock.js';
import { appLink, type Context, inTransaction } from '../context.js';
import { Conflict, Gone, InvalidRequest, NotFound, RateLimited, Unauthenticated } from '../errors.js';
import { queueMail } from '../mail/outbox.js';
import { passwordResetMail } from '../mail/templates.js';
import { hashPassword, hashSecret, newId, newSecret, verifyPassword } from '../secrets.js';
import { startSession, TOKEN_PREFIX } from './sessions.js';
import { findUserByEmail, type User } from './users.js';
import { normalizeEmail, requireEmail, requirePassword } from './validation.js';

export interface SignedIn {
  user: User;
  session: { token: string; expiresAt: number };
}

export async function signUp(ctx: Context, input: { email: string; password: string; name: string }): Promise<SignedIn> {
  const email = requireEmail(input.email);
  requirePassword(input.password);
  const name = input.name.trim();
  if (!name) throw new InvalidRequest('Tell us your name.', { field: 'name' });
  const passwordHash = await hashPassword(input.password);
  const user: User = { id: newId('usr'), email, name };
  try {
    return await inTransaction(ctx, async (tx) => {
      await tx.insertInto('users').values({ id: user.id, email, name, password_hash: passwordHash, created_at: ctx.clock.now() }).execute();
      return { user, session: await startSession(ctx, tx, user.id) };
    });
  } catch (error) {
    if (await findUserByEmail(ctx.db, email)) throw new Conflict('email_taken', 'An account with this e-mail already exists.');
    throw error;
  }
}

const LOGIN_WINDOW_MS = 15 * 60 * 1000;
const LOGIN_MAX_FAILURES = 5;

/** Failed logins are counted in the database, so the limit holds across every instance. */
async function assertLoginAllowed(ctx: Context, key: string): Promise<void> {
  const row = await ctx.db.selectFrom('login_failures').selectAll().where('key', '=', key).executeTakeFirst();
  const now = ctx.clock.now();
  if (row && row.failures >= LOGIN_MAX_FAILURES && row.window_start + LOGIN_WINDOW_MS > now) {
    const retryAfter = Math.ceil((row.window_start + LOGIN_WINDOW_MS - now) / 1000);
    throw new RateLimited('Too many failed logins for this account. Try again later.', retryAfter);
  }
}

async function recordLoginFailure(ctx: Context, key: string): Promise<void> {
  const now = ctx.clock.now();
  const windowOpen = now - LOGIN_WINDOW_MS;
  await ctx.db
    .insertInto('login_failures')
    .values({ key, window_start: now, failures: 1 })
    .onConflict((oc) =>
      oc.column('key').doUpdateSet((eb) => ({
        failures: eb
          .case()
          .when('login_failures.window_start', '<=', windowOpen)
          .then(1)
          .else(eb('login_failures.failures', '+', 1))
          .end(),
        window_start: eb
          .case()
          .when('login_failures.window_start', '<=', windowOpen)
          .then(now)
          .else(eb.ref('login_failures.window_start'))
          .end(),
      })),
    )
    .execute();
}

export async function logIn(ctx: Context, input: { email: string; password: string }): Promise<SignedIn> {
  const email = normalizeEmail(input.email);
  const key = `email:${email}`;
  await assertLoginAllowed(ctx, key);
  const found = await findUserByEmail(ctx.db, email);
  // Unknown e-mail and wrong password take the same path and give the same answer.
  const ok = await verifyPassword(input.password, found?.passwordHash ?? DUMMY_HASH);
  if (!found || !ok) {
    await recordLoginFailure(ctx, key);
    throw new Unauthenticated('The e-mail or password is not right.', 'invalid_credentials');
  }
  await ctx.db.deleteFrom('login_failures').where('key', '=', key).execute();
  const user = { id: found.id, email: found.email, name: found.name };
  return { user, session: await startSession(ctx, ctx.db, user.id) };
}

// A valid hash of a random password, so unknown e-mails cost as much as wrong passwords.
const DUMMY_HASH = await hashPassword(newSecret());

export interface AccessTokenInfo {
  id: string;
  name: string;
  createdAt: number;
  lastUsedAt: number | null;
}

export async function createAccessToken(ctx: Context, userId: string, name: string): Promise<AccessTokenInfo & { token: string }> {
  const trimmed = name.trim();
  if (!trimmed) throw new InvalidRequest('Give the token a name.', { field: 'name' });
  const token = `${TOKEN_PREFIX}${newSecret()}`;
  const row = {
    id: newId('tok'),
    user_id: userId,
    name: trimmed,
    token_hash: hashSecret(token),
    created_at: ctx.clock.now(),
    last_used_at: null,
  };
  await ctx.db.insertInto('access_tokens').values(row).execute();
  return { id: row.id, name: row.name, createdAt: row.created_at, lastUsedAt: null, token };
}

export async function listAccessTokens(ctx: Context, userId: string): Promise<AccessTokenInfo[]> {
  const rows = await ctx.db
    .selectFrom('access_tokens')
    .select(['id', 'name', 'created_at', 'last_used_at'])
    .where('user_id', '=', userId)
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .execute();
  return rows.map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at, lastUsedAt: r.last_used_at }));
}

export async function deleteAccessToken(ctx: Context, userId: string, tokenId: string): Promise<void> {
  const result = await ctx.db.deleteFrom('access_tokens').where('id', '=', tokenId).where('user_id', '=', userId).executeTakeFirst();
  if (result.numDeletedRows === 0n) throw new NotFound('Token');
}

const RESET_LIFETIME_MS = HOUR;

/** Always quiet about whether the address has an account. */
export async function requestPasswordReset(ctx: Context, rawEmail: string): Promise<void> {
  const user = await findUserByEmail(ctx.db, normalizeEmail(rawEmail));
  if (!user) return;
  const now = ctx.clock.now();
  const recent = await ctx.db
    .selectFrom('password_resets')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('user_id', '=', user.id)
    .where('created_at', '>', now - HOUR)
    .executeTakeFirstOrThrow();
  if (Number(recent.n) >= 5) return;
  const token = newSecret();
  const expiresAt = now + RESET_LIFETIME_MS;
  await inTransaction(ctx, async (tx) => {
    await tx
      .insertInto('password_resets')
      .values({ token_hash: hashSecret(token), user_id: user.id, expires_at: expiresAt, used_at: null, created_at: now })
      .execute();
    await queueMail(ctx, tx, passwordResetMail(user.email, appLink(ctx, `/reset#token=${token}`), expiresAt));
  });
}

export async function confirmPasswordReset(ctx: Context, token: string, password: string): Promise<void> {
  requirePassword(password);
  const passwordHash = await hashPassword(password);
  await inTransaction(ctx, async (tx) => {
    const now = ctx.clock.now();
    // Claiming the token and using it are one statement, so two racing confirms cannot both win.
    const claimed = await tx
      .updateTable('password_resets')
      .set({ used_at: now })
      .where('token_hash', '=', hashSecret(token))
      .where('used_at', 'is', null)
      .where('expires_at', '>', now)
      .returning('user_id')
      .executeTakeFirst();
    if (!claimed) throw new Gone('reset_token_invalid', 'This reset link is used, expired or unknown. Ask for a new one.');
    await tx.updateTable('users').set({ password_hash: passwordHash }).where('id', '=', claimed.user_id).execute();
    await tx.deleteFrom('sessions').where('user_id', '=', claimed.user_id).execute();
    await tx
      .deleteFrom('login_failures')
      .where('key', '=', `email:${await emailOf(tx, claimed.user_id)}`)
      .execute();
  });
}

async function emailOf(db: Context['db'], userId: string): Promise<string> {
  const row = await db.selectFrom('users').select('email').where('id', '=', userId).executeTakeFirstOrThrow();
  return row.email;
}
