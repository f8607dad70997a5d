import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { rememberCheck } from '../access/check.js';
import { type Actor, actingAs, tokenScopeRefusal } from '../access/scope.js';
import type { Caller } from '../accounts/accounts.js';
import { SESSION_LIFETIME_MS, userOfSession } from '../accounts/sessions.js';
import { userOfAccessToken } from '../accounts/tokens.js';
import type { User } from '../accounts/users.js';
import type { Context } from '../context.js';
import { Forbidden, Unauthenticated } from '../errors.js';
import { isId } from './schemas.js';

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
    /** The public id of the caller's session, when they call with the session cookie. */
    sessionId: string | null;
    /** Who acts in this request, with their token's scope: what the policy is asked about. */
    actor: Actor | null;
  }
  interface FastifyContextConfig {
    /** The route takes files as multipart/form-data (see the CSRF rule below). */
    acceptsUpload?: boolean;
  }
}

const CHANGES_STATE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const READS = new Set(['GET', 'HEAD']);

/** The authenticated user, or 401. */
export function requireUser(request: FastifyRequest): User {
  if (!request.user) throw new Unauthenticated();
  return request.user;
}

/** Who acts in this request (the authenticated user, with their token's scope), or 401. */
export function requireActor(request: FastifyRequest): Actor {
  if (!request.actor) throw new Unauthenticated();
  return request.actor;
}

/** The caller's network address and browser, for limits, the session list and the security log. */
export function callerOf(request: FastifyRequest): Caller {
  const userAgent = request.headers['user-agent'];
  return { ip: request.ip, userAgent: typeof userAgent === 'string' && userAgent ? userAgent : null };
}

/** Tokens do not mint tokens nor change passwords: those need the session of a logged-in person. */
export function requireSessionUser(request: FastifyRequest): User {
  const user = requireUser(request);
  if (request.actor?.scope != null) throw new Forbidden('This needs a logged-in session, not an access token.');
  return user;
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
  app.decorateRequest('sessionId', null);
  app.decorateRequest('actor', null);

  app.addHook('onRequest', async (request) => {
    if (!request.url.startsWith('/api/')) return;
    const checking = datasetReadBy(request);
    const authorization = request.headers.authorization;
    if (authorization !== undefined) {
      const match = /^Bearer\s+(\S+)$/i.exec(authorization);
      const caller = match ? await userOfAccessToken(ctx, match[1]!, checking) : null;
      if (!caller) throw new Unauthenticated('The access token is not valid or has expired.');
      if (caller.scope === 'read' && !READS.has(request.method)) throw tokenScopeRefusal(caller.scope);
      request.user = caller.user;
      request.actor = { id: caller.user.id, scope: caller.scope };
      if (caller.check) rememberCheck(request.actor, ctx.db, caller.check);
      return;
    }
    const token = request.cookies[sessionCookieName(ctx.publicUrl)];
    if (!token) return;
    if (CHANGES_STATE.has(request.method)) assertSameOrigin(ctx, request);
    request.sessionToken = token;
    const session = await userOfSession(ctx, token, checking);
    if (!session) return;
    request.user = session.user;
    request.sessionId = session.sessionId;
    request.actor = actingAs(session.user.id);
    if (session.check) rememberCheck(request.actor, ctx.db, session.check);
  });

  // Whether a change without Origin really carries JSON is known only once its body is read.
  app.addHook('preValidation', (request, _reply, done) => {
    const bodyless =
      request.sessionToken !== null &&
      CHANGES_STATE.has(request.method) &&
      request.headers.origin === undefined &&
      request.body === undefined;
    done(bodyless ? csrfRefusal() : undefined);
  });
}

/**
 * The dataset a read of `/datasets/:id…` is about: its caller and its check are then read in
 * one statement (a session or token lookup joined to the check), not two.
 */
function datasetReadBy(request: FastifyRequest): string | undefined {
  if (!READS.has(request.method) || !request.routeOptions.url?.startsWith('/api/v1/datasets/:id')) return undefined;
  const id = (request.params as { id?: unknown }).id;
  // Only what could be an id (the route's own schema refuses the rest with 400 after this hook).
  return typeof id === 'string' && isId(id) ? id : undefined;
}

/**
 * The CSRF rule of API.md. Browsers send Origin on every change, bodyless DELETE and POST
 * included, so the app's own Origin is proof enough; a foreign or `null` Origin is refused.
 * Without Origin only a JSON body proves the request is not a cross-site form, which browsers
 * cannot send without asking first: its content type is checked here, and that a body came with
 * it once the body is read (a JSON label on nothing is no JSON body). Uploads are multipart, which
 * any page could post, so an upload needs the app's Origin, and only routes that take files
 * accept multipart at all.
 */
function assertSameOrigin(ctx: Context, request: FastifyRequest): void {
  const contentType = request.headers['content-type'] ?? '';
  const origin = request.headers.origin;
  const multipart = /^multipart\/form-data\s*(;|$)/i.test(contentType);
  const json = /^application\/json\s*(;|$)/i.test(contentType);
  const accepted =
    origin === undefined ? json : origin === ctx.publicUrl.origin && (!multipart || request.routeOptions.config.acceptsUpload === true);
  if (!accepted) throw csrfRefusal();
}

function csrfRefusal(): Forbidden {
  return new Forbidden('Cross-site request refused: send JSON from the Tessera web app.', 'csrf_rejected');
}
