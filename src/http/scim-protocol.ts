import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Context } from '../context.js';
import { DomainError, Unauthenticated } from '../errors.js';
import { type Directory, SCHEMA, SCIM_TYPES, ScimInvalid } from '../scim/protocol.js';
import { scimTokenOf } from '../scim/tokens.js';
import { STATUS } from './errors.js';

export const SCIM_JSON = 'application/scim+json; charset=utf-8';

declare module 'fastify' {
  interface FastifyRequest {
    /** The organization's directory a SCIM request speaks for, from its token. */
    scimDirectory: Directory | null;
  }
}

export function directoryOf(request: FastifyRequest): Directory {
  if (!request.scimDirectory) throw new Unauthenticated();
  return request.scimDirectory;
}

/** NUL cannot be stored in PostgreSQL text and has no business in names or addresses. */
function refuseNul(_key: string, value: unknown): unknown {
  if (typeof value === 'string' && value.includes('\0')) throw new ScimInvalid('invalidValue', 'Text must not contain NUL characters.');
  return value;
}

function sendScimError(reply: FastifyReply, status: number, detail: string, scimType?: string) {
  return reply
    .code(status)
    .type(SCIM_JSON)
    .send({ schemas: [SCHEMA.error], status: String(status), ...(scimType ? { scimType } : {}), detail });
}

/** Which scimType a domain error carries: its own code when it is one, else the nearest SCIM word. */
function scimTypeOf(error: DomainError): string | undefined {
  if (SCIM_TYPES.has(error.code)) return error.code;
  if (error.kind === 'invalid_request') return 'invalidValue';
  if (error.code === 'team_name_taken' || error.code === 'email_taken') return 'uniqueness';
  return undefined;
}

/**
 * The SCIM protocol's surroundings, for the routes registered in `app` (prefix /scim/v2): a
 * provisioning token as the only credential (no cookies, so no CSRF), `application/scim+json`
 * both ways, and SCIM's error schema on every error, the 401 and 404 included.
 */
export function installScimProtocol(app: FastifyInstance, ctx: Context): void {
  app.decorateRequest('scimDirectory', null);

  app.addContentTypeParser('application/scim+json', { parseAs: 'string' }, (_request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text, refuseNul));
    } catch (error) {
      done(
        error instanceof ScimInvalid ? error : Object.assign(new SyntaxError('The body is not valid JSON.'), { statusCode: 400 }),
        undefined,
      );
    }
  });

  app.addHook('onRequest', async (request, reply) => {
    const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '');
    const token = match ? await scimTokenOf(ctx, match[1]!) : null;
    if (!token) {
      reply.header('WWW-Authenticate', 'Bearer realm="Tessera SCIM"');
      throw new Unauthenticated('Send a live SCIM token of the organization as a bearer token.');
    }
    request.scimDirectory = { orgId: token.orgId, tokenId: token.id };
  });

  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('Cache-Control', 'no-store');
    if (reply.statusCode !== 204) reply.header('Content-Type', SCIM_JSON);
    return payload;
  });

  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof DomainError) return sendScimError(reply, STATUS[error.kind], error.message, scimTypeOf(error));
    if (error.validation) return sendScimError(reply, 400, 'The request is malformed.', 'invalidSyntax');
    if (error instanceof SyntaxError || error.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
      return sendScimError(reply, 400, 'The body is not valid JSON.', 'invalidSyntax');
    }
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendScimError(reply, 413, 'The request body is too large.');
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
      return sendScimError(reply, 415, 'Send application/scim+json or application/json.');
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) return sendScimError(reply, status, 'The request could not be processed.');
    request.log.error({ err: error }, 'unexpected error');
    return sendScimError(reply, 500, 'Something went wrong on our side. Try again.');
  });

  app.setNotFoundHandler((request, reply) =>
    sendScimError(reply, 404, `No SCIM resource at ${request.method} ${request.url.split('?')[0]}.`),
  );
}
