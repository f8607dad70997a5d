import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SESSION_LIFETIME_MS, userOfAccessToken, userOfSession } from '../accounts/sessions.js';
import type { User } from '../accounts/users.js';
import type { Context } from '../context.js';
import { Forbidden, Unauthenticated } from '../errors.js';

export const SESSION_COOKIE = 'tessera_session';

/**
 * The session cookie's name for this deployment. Under https it carries the `__Host-` prefix,
 * which browsers accept only with Secure, path "/" and no Domain, so no sibling subdomain can
 * plant or overwrite it.
 */
export function sessionCookieName(publicUrl: URL): string {
  return publicUrl.protocol === 'https:' ? `__Host-${SESSION_COOKIE}` : SESSION_COOKIE;
}

declare module 'fastify' {
  interface FastifyRequest {
    user: User | null;
    sessionToken: string | null;
  }
  interface FastifyContextConfig {
    /** The route takes files as multipart/form-data (see the CSRF rule below). */
    acceptsUpload?: boolean;
  }
}

const CHANGES_STATE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The authenticated user, or 401. */
export function requireUser(request: FastifyRequest): User {
  if (!request.user) throw new Unauthenticated();
  return request.user;
}

export function setSessionCookie(ctx: Context, reply: FastifyReply, token: string): void {
  reply.setCookie(sessionCookieName(ctx.publicUrl), token, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: ctx.publicUrl.protocol === 'https:',
    maxAge: Math.floor(SESSION_LIFETIME_MS / 1000),
  });
}

export function clearSessionCookie(ctx: Context, reply: FastifyReply): void {
  reply.clearCookie(sessionCookieName(ctx.publicUrl), {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: ctx.publicUrl.protocol === 'https:',
  });
}

/**
 * Resolves the caller on every API request: a bearer token (personal access token) or the
 * session cookie, both checked against the database so revocation and logout hold at once
 * on every instance. Cookie-carrying changes must pass the CSRF rule of API.md.
 */
export function installAuth(app: FastifyInstance, ctx: Context): void {
  app.decorateRequest('user', null);
  app.decorateRequest('sessionToken', null);

  app.addHook('onRequest', async (request) => {
    if (!request.url.startsWith('/api/')) return;
    const authorization = request.headers.authorization;
    if (authorization !== undefined) {
      const match = /^Bearer\s+(\S+)$/i.exec(authorization);
      const user = match ? await userOfAccessToken(ctx, match[1]!) : null;
      if (!user) throw new Unauthenticated('The access token is not valid.');
      request.user = user;
      return;
    }
    const token = request.cookies[sessionCookieName(ctx.publicUrl)];
    if (!token) return;
    if (CHANGES_STATE.has(request.method)) assertSameOrigin(ctx, request);
    request.sessionToken = token;
    request.user = await userOfSession(ctx, token);
  });
}

/**
 * JSON from the app's own origin only. Uploads are multipart, which any page could post, so a
 * cookie-carrying upload must also show the app's Origin (browsers send it on every POST), and
 * only routes that take files accept multipart at all.
 */
function assertSameOrigin(ctx: Context, request: FastifyRequest): void {
  const contentType = request.headers['content-type'] ?? '';
  const origin = request.headers.origin;
  const sameOrigin = origin === ctx.publicUrl.origin;
  const json = /^application\/json\s*(;|$)/i.test(contentType);
  const upload = request.routeOptions.config.acceptsUpload === true && /^multipart\/form-data\s*;/i.test(contentType) && sameOrigin;
  if (!(json || upload) || (origin !== undefined && !sameOrigin)) {
    throw new Forbidden('Cross-site request refused: send JSON from the Tessera web app.', 'csrf_rejected');
  }
}
