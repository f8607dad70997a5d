import { createHmac } from 'node:crypto';
import { appLink, type Context } from '../context.js';
import { Conflict, DomainError, Forbidden } from '../errors.js';
import { hashSecret } from '../secrets.js';
import { claimSignIn, insertSignIn } from '../store/sign-ins.js';
import type { Caller, SignedIn } from './accounts.js';
import { authEvent } from './events.js';
import { spendForAddress } from './limits.js';
import { type OidcClient, type ProviderIdentity, type SignInChecks, SsoUnavailable } from './oidc-client.js';
import { startSession } from './sessions.js';
import { linkAccountToProvider, registerFromProvider } from './sso-accounts.js';
import { findUserByEmail, findUserByIdentity, providerLinkOf } from './users.js';
import { emailToFind } from './validation.js';

/** Long enough to log in at the provider, short enough that a stale sign-in is useless. */
export const SIGN_IN_LIFETIME_MS = 10 * 60_000;
export const CALLBACK_PATH = '/api/v1/auth/oidc/callback';

/**
 * Where a sign-in may return: a path of this site only. Anything that a browser could read as
 * another origin (`//host`, `/\host`, `https://…`, control characters) goes to `/`.
 */
export function safeReturnTo(raw: string | undefined): string {
  if (raw === undefined || raw.length > 2048 || !raw.startsWith('/') || raw.startsWith('//')) return '/';
  if ([...raw].some((c) => c === '\\' || c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) return '/';
  const base = new URL('http://tessera.invalid');
  const resolved = new URL(raw, base);
  return resolved.origin === base.origin ? raw : '/';
}

/** The PKCE verifier and the nonce derive from the browser's secret, so none of them is stored. */
function checksOf(binding: string, state: string): SignInChecks {
  const derive = (purpose: string) => createHmac('sha256', binding).update(purpose).digest('base64url');
  return { state, nonce: derive('oidc nonce'), codeVerifier: derive('oidc pkce verifier') };
}

function requireClient(ctx: Context): OidcClient {
  if (!ctx.oidc) throw new DomainError('not_found', 'sso_not_configured', 'Single sign-on is not set up here.');
  return ctx.oidc;
}

/**
 * Starts a sign-in: a row keyed by the hash of a new secret that only the browser's cookie
 * holds (`binding`), so the callback is accepted on any instance and only in that browser.
 */
export async function beginSignIn(
  ctx: Context,
  rawReturnTo: string | undefined,
  caller: Caller,
): Promise<{ redirect: URL; binding: string }> {
  const client = requireClient(ctx);
  // Each start writes a row: it counts as a log-in attempt of the caller's address.
  await spendForAddress(ctx, 'login', caller.ip);
  const binding = ctx.random.secret();
  const state = ctx.random.secret();
  const redirect = await client.authorizationUrl(appLink(ctx, CALLBACK_PATH), checksOf(binding, state));
  const now = ctx.clock.now();
  await insertSignIn(
    ctx.db,
    {
      binding_hash: hashSecret(binding),
      state,
      return_to: safeReturnTo(rawReturnTo),
      created_at: now,
      expires_at: now + SIGN_IN_LIFETIME_MS,
    },
    now,
  );
  return { redirect, binding };
}

const stateRefused = () =>
  new Forbidden('This sign-in was not started in this browser, or it expired. Start again from the login page.', 'sso_state_invalid');

/**
 * Completes a sign-in from the provider's redirect: the row is claimed once, openid-client
 * checks the answer, and the identity becomes a session (see `signInWithIdentity`).
 */
export async function finishSignIn(
  ctx: Context,
  binding: string | undefined,
  callbackUrl: URL,
  caller: Caller,
): Promise<SignedIn & { returnTo: string }> {
  const client = requireClient(ctx);
  if (!binding) throw refuse(ctx, caller, 'no_sign_in_cookie', stateRefused());
  const row = await claimSignIn(ctx.db, hashSecret(binding));
  if (!row || Number(row.expires_at) <= ctx.clock.now()) throw refuse(ctx, caller, 'unknown_or_expired_sign_in', stateRefused());
  if (callbackUrl.searchParams.get('state') !== row.state) throw refuse(ctx, caller, 'state_mismatch', stateRefused());
  let identity: ProviderIdentity;
  try {
    identity = await client.complete(callbackUrl, checksOf(binding, row.state));
  } catch (error) {
    if (error instanceof SsoUnavailable) throw error;
    ctx.logger.warn({ err: { message: error instanceof Error ? error.message : String(error) } }, 'OpenID Connect callback refused');
    throw refuse(
      ctx,
      caller,
      'provider_answer_refused',
      new Forbidden(`The sign-in with ${client.name} did not complete. Try again.`, 'sso_failed'),
    );
  }
  return { ...(await signInWithIdentity(ctx, identity, caller)), returnTo: row.return_to };
}

function refuse(ctx: Context, caller: Caller, outcome: string, error: Error, userId: string | null = null): Error {
  authEvent(ctx, 'sso.refused', { userId, outcome, ip: caller.ip });
  return error;
}

/**
 * The provider's word on who signed in becomes a session: the account linked to that identity;
 * else the account with that verified address, linked now (a proof of the mailbox without the
 * password, so everything before it ends); else a new verified account. An address the provider
 * has not verified proves nothing and opens nothing.
 */
export async function signInWithIdentity(ctx: Context, identity: ProviderIdentity, caller: Caller): Promise<SignedIn> {
  const linked = await findUserByIdentity(ctx.db, identity.issuer, identity.subject);
  if (linked) {
    const session = await startSession(ctx, ctx.db, linked.id, caller.userAgent);
    authEvent(ctx, 'sso.login', { userId: linked.id, outcome: 'ok', ip: caller.ip, sessionId: session.id });
    return { user: linked, session };
  }
  if (!identity.emailVerified || identity.email === null) {
    throw refuse(
      ctx,
      caller,
      'email_unverified',
      new Forbidden(
        'Your identity provider has not verified your e-mail address, so it cannot sign you in here. Verify it there, or ask your administrator.',
        'sso_email_unverified',
      ),
    );
  }
  const email = emailToFind(identity.email);
  const existing = await findUserByEmail(ctx.db, email);
  if (existing) {
    if ((await providerLinkOf(ctx.db, existing.id))?.subject != null) {
      throw refuse(
        ctx,
        caller,
        'account_linked_to_another_identity',
        new Conflict('sso_account_linked', 'The account with this address is linked to another identity at the provider.'),
        existing.id,
      );
    }
    const signedIn = await linkAccountToProvider(ctx, existing, identity, caller);
    authEvent(ctx, 'sso.linked', {
      userId: existing.id,
      outcome: 'linked_by_verified_email',
      ip: caller.ip,
      sessionId: signedIn.session.id,
    });
    return signedIn;
  }
  const signedIn = await registerFromProvider(ctx, { ...identity, email }, caller);
  authEvent(ctx, 'sso.signup', {
    userId: signedIn.user.id,
    outcome: 'verified_by_provider',
    ip: caller.ip,
    sessionId: signedIn.session.id,
  });
  return signedIn;
}
