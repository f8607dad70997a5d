import { HOUR } from '../clock.js';
import { appLink, type Context, inTransaction } from '../context.js';
import { Conflict, Forbidden, Gone, InvalidRequest, Unauthenticated } from '../errors.js';
import { type Accepted, acceptInvitationIn, assertRedeemableBy } from '../invitations/redeem.js';
import { queueMail } from '../mail/outbox.js';
import { passwordResetMail } from '../mail/templates.js';
import { hashPassword, hashSecret, newSecret, verifyPassword } from '../secrets.js';
import type { Db } from '../store/database.js';
import { deleteUnusedLinks, liveResetAccount, replaceUnusedLink, useLink } from '../store/one-time-links.js';
import { insertUser, updateUser } from '../store/users.js';
import { authEvent } from './events.js';
import {
  assertUnderLimit,
  clearCounter,
  countHit,
  FAILED_LOGINS_FROM_ADDRESS,
  FAILED_LOGINS_OF_ACCOUNT,
  limitOf,
  spendForAddress,
} from './limits.js';
import { requireStrongPassword } from './passwords.js';
import { endSessionsOf, type StartedSession, startSession } from './sessions.js';
import { deleteAccessTokensOf } from './tokens.js';
import { findUserByEmail, markEmailVerified, type User } from './users.js';
import { emailToFind, emailToLookUp, normalizeEmail, requireEmail } from './validation.js';
import { sendVerification } from './verification.js';

/** Who is calling: their network address (for limits and the security log) and browser. */
export interface Caller {
  ip: string;
  userAgent: string | null;
}

export interface SignedIn {
  user: User;
  session: StartedSession;
}

export interface SignUpInput {
  email: string;
  password: string;
  name: string;
  /** The caller holds an invitation link for this address (already checked): the address is proved. */
  invited: boolean;
}

/** SIGNUP: open to all, only from an invitation link, or closed (accounts come from the CLI or SSO). */
export function assertSignupAllowed(ctx: Context, invited: boolean): void {
  assertPasswordLoginAllowed(ctx);
  if (ctx.signup === 'closed' || (ctx.signup === 'invite-only' && !invited)) {
    throw new Forbidden(
      ctx.signup === 'closed' ? 'Accounts are created by an administrator here.' : 'Sign-up here is by invitation only.',
      'signup_closed',
    );
  }
}

/** OIDC_ONLY: the provider is the only way in; the operator's command line still works. */
export function assertPasswordLoginAllowed(ctx: Pick<Context, 'passwordLogin' | 'oidc'>): void {
  if (!ctx.passwordLogin) {
    throw new Forbidden(`Passwords are not used here: sign in with ${ctx.oidc?.name ?? 'single sign-on'}.`, 'password_login_disabled');
  }
}

export function signUp(ctx: Context, input: SignUpInput, caller: Caller): Promise<SignedIn> {
  return createAccount(ctx, input, caller);
}

/**
 * Sign-up from an invitation link, as one use case: the account, its session and the
 * invitation's acceptance are one transaction, so an accept that fails (the link expired or was
 * withdrawn meanwhile, the dataset is no longer shared outside its organization) leaves no
 * account behind.
 */
export async function signUpWithInvitation(
  ctx: Context,
  input: Omit<SignUpInput, 'invited'>,
  token: string,
  caller: Caller,
): Promise<SignedIn & { accepted: Accepted }> {
  assertSignupAllowed(ctx, true);
  // Refused before anything is spent or made: the address must be the invited one and the link good.
  await assertRedeemableBy(ctx, token, emailToFind(input.email));
  let accepted: Accepted | undefined;
  const signedIn = await createAccount(ctx, { ...input, invited: true }, caller, async (tx, user) => {
    accepted = await acceptInvitationIn(ctx, tx, user, token);
  });
  return { ...signedIn, accepted: accepted! };
}

/** Makes the account and its first session; `alongside` runs in the same transaction. */
async function createAccount(
  ctx: Context,
  input: SignUpInput,
  caller: Caller,
  alongside?: (tx: Db, user: User) => Promise<void>,
): Promise<SignedIn> {
  assertSignupAllowed(ctx, input.invited);
  await spendForAddress(ctx, 'signup', caller.ip);
  const email = requireEmail(input.email);
  const name = input.name.trim();
  if (!name) throw new InvalidRequest('Tell us your name.', { field: 'name' });
  requireStrongPassword(input.password, { email, name });
  const passwordHash = await hashPassword(input.password);
  const user: User = { id: ctx.random.id('usr'), email, name, emailVerified: input.invited };
  try {
    const signedIn = await inTransaction(ctx, async (tx) => {
      await insertUser(tx, {
        id: user.id,
        email,
        name,
        password_hash: passwordHash,
        created_at: ctx.clock.now(),
        email_verified: input.invited ? 1 : 0,
      });
      // The verification mail is queued with the account: both are committed, or neither.
      if (!input.invited) await sendVerification(ctx, tx, user);
      if (alongside) await alongside(tx, user);
      return { user, session: await startSession(ctx, tx, user.id, caller.userAgent) };
    });
    authEvent(ctx, 'signup', { userId: user.id, outcome: input.invited ? 'verified_by_invitation' : 'unverified', ip: caller.ip });
    return signedIn;
  } catch (error) {
    if (await findUserByEmail(ctx.db, email)) throw new Conflict('email_taken', 'An account with this e-mail already exists.');
    throw error;
  }
}

const failuresFromAddress = (email: string, ip: string) => `login-failures:${email}|${ip}`;
const failuresOfAccount = (email: string) => `login-failures:${email}`;

export async function logIn(ctx: Context, input: { email: string; password: string }, caller: Caller): Promise<SignedIn> {
  assertPasswordLoginAllowed(ctx);
  await spendForAddress(ctx, 'login', caller.ip);
  const findable = emailToLookUp(input.email);
  const email = findable ?? normalizeEmail(input.email);
  await assertUnderLimit(ctx, failuresFromAddress(email, caller.ip), FAILED_LOGINS_FROM_ADDRESS, caller.ip);
  await assertUnderLimit(ctx, failuresOfAccount(email), FAILED_LOGINS_OF_ACCOUNT, caller.ip);
  const found = findable === null ? undefined : await findUserByEmail(ctx.db, findable);
  // Unknown e-mail and wrong password take the same path and give the same answer.
  const ok = await verifyPassword(input.password, found?.passwordHash ?? DUMMY_HASH);
  if (!found || !ok) {
    await countHit(ctx, failuresFromAddress(email, caller.ip), FAILED_LOGINS_FROM_ADDRESS);
    await countHit(ctx, failuresOfAccount(email), FAILED_LOGINS_OF_ACCOUNT);
    authEvent(ctx, 'login.failed', { userId: found?.id ?? null, outcome: found ? 'wrong_password' : 'unknown_email', ip: caller.ip });
    throw new Unauthenticated('The e-mail or password is not right.', 'invalid_credentials');
  }
  await clearCounter(ctx, failuresFromAddress(email, caller.ip));
  const { passwordHash: _hash, ...user } = found;
  const session = await startSession(ctx, ctx.db, user.id, caller.userAgent);
  authEvent(ctx, 'login', { userId: user.id, outcome: 'ok', ip: caller.ip, sessionId: session.id });
  return { user, session };
}

// A valid hash of a random password, so unknown e-mails cost as much as wrong passwords.
const DUMMY_HASH = await hashPassword(newSecret());

/** Needs the current password; every other session of the account ends, this one stays. */
export async function changePassword(
  ctx: Context,
  user: User,
  sessionId: string | null,
  input: { currentPassword: string; newPassword: string },
  caller: Caller,
): Promise<void> {
  await assertUnderLimit(ctx, failuresFromAddress(user.email, caller.ip), FAILED_LOGINS_FROM_ADDRESS, caller.ip);
  const found = await findUserByEmail(ctx.db, user.email);
  if (!found || !(await verifyPassword(input.currentPassword, found.passwordHash))) {
    await countHit(ctx, failuresFromAddress(user.email, caller.ip), FAILED_LOGINS_FROM_ADDRESS);
    authEvent(ctx, 'password.changed', { userId: user.id, outcome: 'wrong_current_password', ip: caller.ip });
    throw new Forbidden('The current password is not right.', 'invalid_credentials');
  }
  requireStrongPassword(input.newPassword, user, 'newPassword');
  const passwordHash = await hashPassword(input.newPassword);
  await inTransaction(ctx, async (tx) => {
    await updateUser(tx, user.id, { password_hash: passwordHash });
    await endSessionsOf(tx, user.id, sessionId);
  });
  authEvent(ctx, 'password.changed', { userId: user.id, outcome: 'ok', ip: caller.ip });
}

const RESET_LIFETIME_MS = HOUR;
const RESETS_PER_HOUR = limitOf('password reset e-mails', 5, HOUR);

/**
 * A new one-time link `PUBLIC_URL/reset#token=…` that sets the account's password, valid for
 * `lifetimeMs`; every older unused link of the account dies. Only the hash of the secret is kept.
 */
export async function issuePasswordReset(
  ctx: Pick<Context, 'clock' | 'random' | 'publicUrl'>,
  tx: Db,
  userId: string,
  lifetimeMs = RESET_LIFETIME_MS,
): Promise<{ link: string; expiresAt: number }> {
  const now = ctx.clock.now();
  const token = ctx.random.secret();
  const expiresAt = now + lifetimeMs;
  await replaceUnusedLink(tx, 'password_resets', { tokenHash: hashSecret(token), userId, expiresAt, at: now });
  return { link: appLink(ctx, `/reset#token=${token}`), expiresAt };
}

/** Always quiet about whether the address has an account. A new link kills the older unused ones. */
export async function requestPasswordReset(ctx: Context, rawEmail: string, caller: Caller): Promise<void> {
  await spendForAddress(ctx, 'passwordReset', caller.ip);
  const email = emailToLookUp(rawEmail);
  const user = email === null ? undefined : await findUserByEmail(ctx.db, email);
  if (!user) {
    authEvent(ctx, 'password_reset.requested', { outcome: 'unknown_email', ip: caller.ip });
    return;
  }
  if ((await countHit(ctx, `reset-mails:${user.id}`, RESETS_PER_HOUR)) > RESETS_PER_HOUR.max) {
    authEvent(ctx, 'password_reset.requested', { userId: user.id, outcome: 'throttled', ip: caller.ip });
    return;
  }
  await inTransaction(ctx, async (tx) => {
    const { link, expiresAt } = await issuePasswordReset(ctx, tx, user.id);
    await queueMail(ctx, tx, passwordResetMail(user.email, link, expiresAt));
  });
  authEvent(ctx, 'password_reset.requested', { userId: user.id, outcome: 'mailed', ip: caller.ip });
}

/**
 * A reset proves the mailbox without the old password, so it verifies the address and ends
 * everything made before it: every session and every token. An account pre-registered by
 * someone else with the owner's address keeps nothing.
 */
export async function confirmPasswordReset(ctx: Context, token: string, password: string, caller: Caller): Promise<void> {
  const claimed = await inTransaction(ctx, async (tx) => {
    const now = ctx.clock.now();
    const row = await liveResetAccount(tx, hashSecret(token), now);
    if (!row) throw new Gone('reset_token_invalid', 'This reset link is used, expired or unknown. Ask for a new one.');
    requireStrongPassword(password, row);
    // Claiming the token and using it are one statement, so two racing confirms cannot both win.
    if (!(await useLink(tx, 'password_resets', hashSecret(token), now)))
      throw new Gone('reset_token_invalid', 'This reset link is used, expired or unknown. Ask for a new one.');
    await updateUser(tx, row.id, { password_hash: await hashPassword(password) });
    await markEmailVerified(tx, row.id);
    await endEverything(tx, row.id);
    return row;
  });
  await clearCounter(ctx, failuresOfAccount(claimed.email));
  await clearCounter(ctx, failuresFromAddress(claimed.email, caller.ip));
  authEvent(ctx, 'password_reset.completed', { userId: claimed.id, outcome: 'ok', ip: caller.ip });
}

/** A proof of the mailbox without the password: every session, token and pending link of the account ends. */
export async function endEverything(tx: Db, userId: string): Promise<void> {
  await endSessionsOf(tx, userId);
  await deleteAccessTokensOf(tx, userId);
  await deleteUnusedLinks(tx, 'password_resets', userId);
  await deleteUnusedLinks(tx, 'email_verifications', userId);
}
