import { Type } from 'typebox';
import { authEvent } from '../../accounts/events.js';
import { createAccessToken, deleteAccessToken, listAccessTokens } from '../../accounts/tokens.js';
import { iso } from '../../clock.js';
import type { Context } from '../../context.js';
import { InvalidRequest } from '../../errors.js';
import { requireSessionUser, requireUser } from '../auth.js';
import { errors, Id, Name, NoContent, Time, TokenScopeSchema } from '../schemas.js';
import type { TypedApp } from '../server.js';

const tags = ['accounts'];

const TokenInfo = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    scope: TokenScopeSchema,
    expiresAt: Type.Union([Time, Type.Null()]),
    createdAt: Time,
    lastUsedAt: Type.Union([Time, Type.Null()]),
  },
  { title: 'AccessToken' },
);

function parseExpiry(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const ms = Date.parse(raw);
  if (Number.isNaN(ms)) throw new InvalidRequest('expiresAt must be an ISO-8601 time.', { field: 'expiresAt' });
  return ms;
}

/** Personal access tokens: scoped, ending, shown once, minted only from a session of a verified account. */
export function tokenRoutes(app: TypedApp, ctx: Context): void {
  app.get(
    '/me/tokens',
    {
      schema: {
        operationId: 'listTokens',
        tags,
        summary: 'My personal access tokens (never their secrets)',
        response: { 200: Type.Object({ items: Type.Array(TokenInfo), nextCursor: Type.Null() }), ...errors(401) },
      },
    },
    async (request) => {
      const user = requireUser(request);
      const tokens = await listAccessTokens(ctx, user.id);
      return {
        items: tokens.map((t) => ({
          id: t.id,
          name: t.name,
          scope: t.scope,
          expiresAt: iso(t.expiresAt),
          createdAt: iso(t.createdAt),
          lastUsedAt: iso(t.lastUsedAt),
        })),
        nextCursor: null,
      };
    },
  );

  app.post(
    '/me/tokens',
    {
      schema: {
        operationId: 'createToken',
        tags,
        summary: 'Create a personal access token; the token is shown this once',
        description:
          'Scope `admin` (default) acts with the full level of the user, `write` at most at write (no sharing, inviting or organization administration), `read` answers GET and HEAD only, at most at read. Expires after 90 days by default, 366 at most. 403 `email_unverified` for an unverified account; 403 `forbidden` when called with a token.',
        body: Type.Object({ name: Name, scope: Type.Optional(TokenScopeSchema), expiresAt: Type.Optional(Time) }),
        response: {
          201: Type.Object({ id: Type.String(), name: Type.String(), token: Type.String(), scope: TokenScopeSchema, expiresAt: Time }),
          ...errors(400, 401, 403),
        },
      },
    },
    async (request, reply) => {
      const user = requireSessionUser(request);
      const created = await createAccessToken(ctx, user, {
        name: request.body.name,
        scope: request.body.scope,
        expiresAt: parseExpiry(request.body.expiresAt),
      });
      authEvent(ctx, 'token.created', { userId: user.id, outcome: created.scope, ip: request.ip, tokenId: created.id });
      return reply
        .code(201)
        .send({ id: created.id, name: created.name, token: created.token, scope: created.scope, expiresAt: iso(created.expiresAt) });
    },
  );

  app.delete(
    '/me/tokens/:id',
    {
      schema: {
        operationId: 'revokeToken',
        tags,
        summary: 'Revoke a personal access token',
        params: Type.Object({ id: Id }),
        response: { 204: NoContent, ...errors(401, 403, 404) },
      },
    },
    async (request, reply) => {
      const user = requireUser(request);
      await deleteAccessToken(ctx, user.id, request.params.id);
      authEvent(ctx, 'token.deleted', { userId: user.id, outcome: 'ok', ip: request.ip, tokenId: request.params.id });
      return reply.code(204).send();
    },
  );
}
