import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { beginSignIn, CALLBACK_PATH, finishSignIn, SIGN_IN_LIFETIME_MS } from '../../accounts/single-sign-on.js';
import { providerLink, unlinkProvider } from '../../accounts/sso-accounts.js';
import type { Context } from '../../context.js';
import { DomainError } from '../../errors.js';
import { callerOf, requireSessionUser, requireUser, setSessionCookie } from '../auth.js';
import { errors, NoContent, Redirect } from '../schemas.js';
import type { TypedApp } from '../server.js';

const tags = ['accounts'];
const SIGN_IN_COOKIE = 'tessera_oidc';

/** Under https the cookie carries the `__Host-` prefix, as the session cookie does. */
function signInCookieName(ctx: Context): string {
  return ctx.publicUrl.protocol === 'https:' ? `__Host-${SIGN_IN_COOKIE}` : SIGN_IN_COOKIE;
}

/**
 * The browser navigates to these routes, so a refusal it would see as raw JSON goes instead to
 * the web page that explains it; API clients (no text/html in Accept) get the error itself.
 */
async function explainingErrors(request: FastifyRequest, reply: FastifyReply, work: () => Promise<FastifyReply>): Promise<FastifyReply> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof DomainError) || !/\btext\/html\b/.test(request.headers.accept ?? '')) throw error;
    return reply.redirect(`/sso-error?code=${encodeURIComponent(error.code)}`, 302);
  }
}

export function singleSignOnRoutes(app: TypedApp, ctx: Context): void {
  const cookieOptions = {
    path: '/',
    httpOnly: true,
    // Lax: the cookie must come back on the provider's top-level redirect to the callback.
    sameSite: 'lax' as const,
    secure: ctx.publicUrl.protocol === 'https:',
  };

  app.get(
    '/auth/providers',
    {
      schema: {
        operationId: 'listLoginProviders',
        tags,
        summary: 'How one can sign in here: the single sign-on provider, and whether passwords are accepted',
        security: [],
        response: {
          200: Type.Object({
            oidc: Type.Union([Type.Object({ name: Type.String() }), Type.Null()]),
            passwordLogin: Type.Boolean(),
          }),
        },
      },
    },
    async () => ({ oidc: ctx.oidc ? { name: ctx.oidc.name } : null, passwordLogin: ctx.passwordLogin }),
  );

  app.get(
    '/auth/oidc/start',
    {
      schema: {
        operationId: 'startSingleSignOn',
        tags,
        summary: 'Sign in with the OpenID Connect provider: redirects to it',
        description:
          'Authorization code flow with PKCE, state and nonce; counts as a log-in attempt of the caller address (429). `returnTo` is a path of this site (anything else returns to `/`). 404 `sso_not_configured` without OIDC_*; 503 `sso_unavailable` while the provider cannot be reached; a browser (Accept: text/html) is redirected to `/sso-error?code=…` instead.',
        security: [],
        querystring: Type.Object({ returnTo: Type.Optional(Type.String({ maxLength: 2048 })) }),
        response: { 302: Redirect, ...errors(400, 404, 429, 503) },
      },
    },
    (request, reply) =>
      explainingErrors(request, reply, async () => {
        const { redirect, binding } = await beginSignIn(ctx, request.query.returnTo, callerOf(request));
        reply.setCookie(signInCookieName(ctx), binding, { ...cookieOptions, maxAge: Math.floor(SIGN_IN_LIFETIME_MS / 1000) });
        return reply.redirect(redirect.href, 302);
      }),
  );

  app.get(
    '/auth/oidc/callback',
    {
      schema: {
        operationId: 'finishSingleSignOn',
        tags,
        summary: "The provider's redirect back: logs in (linking or creating the account) and redirects to returnTo",
        description:
          "403 `sso_state_invalid` for a sign-in not started in this browser or expired; 403 `sso_failed` when the provider's answer does not check out; 403 `sso_email_unverified` when the provider has not verified the address of a new identity; 409 `sso_account_linked` when the account with that address is linked to another identity. A browser (Accept: text/html) is redirected to `/sso-error?code=…` instead.",
        security: [],
        response: { 302: Redirect, ...errors(400, 403, 404, 409, 503) },
      },
    },
    (request, reply) =>
      explainingErrors(request, reply, async () => {
        const binding = request.cookies[signInCookieName(ctx)];
        reply.clearCookie(signInCookieName(ctx), cookieOptions);
        const callbackUrl = new URL(CALLBACK_PATH, ctx.publicUrl);
        callbackUrl.search = new URL(request.url, ctx.publicUrl).search;
        const { session, returnTo } = await finishSignIn(ctx, binding, callbackUrl, callerOf(request));
        setSessionCookie(ctx, reply, session.token);
        return reply.redirect(returnTo, 302);
      }),
  );

  app.get(
    '/me/sso',
    {
      schema: {
        operationId: 'getSingleSignOnLink',
        tags,
        summary: 'Whether my account is linked to the single sign-on provider',
        response: {
          200: Type.Object({
            linked: Type.Boolean(),
            provider: Type.Union([Type.Object({ name: Type.String() }), Type.Null()]),
            hasPassword: Type.Boolean(),
          }),
          ...errors(401),
        },
      },
    },
    async (request) => {
      const user = requireUser(request);
      const link = await providerLink(ctx, user);
      return { linked: link.subject !== null, provider: ctx.oidc ? { name: ctx.oidc.name } : null, hasPassword: link.hasPassword };
    },
  );

  app.delete(
    '/me/sso',
    {
      schema: {
        operationId: 'unlinkSingleSignOn',
        tags,
        summary: 'Unlink my account from the single sign-on provider',
        description:
          '409 `sso_unlink_needs_password` while the account has no password (set one with a reset link first); 409 `sso_not_linked` when it is not linked.',
        response: { 204: NoContent, ...errors(401, 403, 409) },
      },
    },
    async (request, reply) => {
      const user = requireSessionUser(request);
      await unlinkProvider(ctx, user, callerOf(request));
      return reply.code(204).send();
    },
  );
}
