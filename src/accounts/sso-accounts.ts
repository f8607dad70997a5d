import { type Context, inTransaction } from '../context.js';
import { Conflict } from '../errors.js';
import { insertUser, updateUser } from '../store/users.js';
import { type Caller, endEverything, type SignedIn } from './accounts.js';
import { authEvent } from './events.js';
import type { ProviderIdentity } from './oidc-client.js';
import { startSession } from './sessions.js';
import { findUserByEmail, markEmailVerified, NO_PASSWORD, type ProviderLink, providerLinkOf, type User } from './users.js';

/**
 * Links an existing account to the identity whose verified address it carries. That proves the
 * mailbox without the password, so — as a password reset does — it verifies the address and ends
 * every session, token and pending link made before; the password is cleared too, so an account
 * pre-registered by someone else with the owner's address keeps no way in. The owner can set a
 * password again with a reset link.
 */
export async function linkAccountToProvider(ctx: Context, user: User, identity: ProviderIdentity, caller: Caller): Promise<SignedIn> {
  const session = await inTransaction(ctx, async (tx) => {
    await updateUser(tx, user.id, { oidc_issuer: identity.issuer, oidc_subject: identity.subject, password_hash: NO_PASSWORD });
    await markEmailVerified(tx, user.id);
    await endEverything(tx, user.id);
    return startSession(ctx, tx, user.id, caller.userAgent);
  });
  return { user: { ...user, emailVerified: true }, session };
}

/**
 * A new account for an identity whose address the provider verified. Every SIGNUP mode allows
 * it: API.md has `closed` mean "accounts only from the CLI or SSO", and who may sign in at the
 * provider is decided there.
 */
export async function registerFromProvider(
  ctx: Context,
  identity: ProviderIdentity & { email: string },
  caller: Caller,
): Promise<SignedIn> {
  const name = identity.name?.trim().slice(0, 200) || identity.email.split('@')[0] || identity.email;
  const user: User = { id: ctx.random.id('usr'), email: identity.email, name, emailVerified: true };
  try {
    const session = await inTransaction(ctx, async (tx) => {
      await insertUser(tx, {
        id: user.id,
        email: user.email,
        name,
        password_hash: NO_PASSWORD,
        created_at: ctx.clock.now(),
        email_verified: 1,
        oidc_issuer: identity.issuer,
        oidc_subject: identity.subject,
      });
      return startSession(ctx, tx, user.id, caller.userAgent);
    });
    return { user, session };
  } catch (error) {
    if (await findUserByEmail(ctx.db, identity.email)) {
      throw new Conflict('sso_account_linked', 'An account with this address was created at the same moment. Sign in again.');
    }
    throw error;
  }
}

export async function providerLink(ctx: Context, user: User): Promise<ProviderLink> {
  return (await providerLinkOf(ctx.db, user.id)) ?? { issuer: null, subject: null, hasPassword: false };
}

/**
 * Unlinks the account from its provider. Refused while the account has no password: it would
 * have no way in left but a reset link.
 */
export async function unlinkProvider(ctx: Context, user: User, caller: Caller): Promise<void> {
  const link = await providerLink(ctx, user);
  if (link.subject === null) throw new Conflict('sso_not_linked', 'This account is not linked to a single sign-on provider.');
  if (!link.hasPassword) {
    throw new Conflict(
      'sso_unlink_needs_password',
      'Set a password first (with a reset link from the login page): without one, this account would have no way in.',
    );
  }
  await updateUser(ctx.db, user.id, { oidc_issuer: null, oidc_subject: null });
  authEvent(ctx, 'sso.unlinked', { userId: user.id, outcome: 'ok', ip: caller.ip });
}
