import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { iso } from '../../clock.js';
import type { Context } from '../../context.js';
import { resourceTypes, schemas, serviceProviderConfig } from '../../scim/discovery.js';
import { createScimGroup, deleteScimGroup, getScimGroup, listScimGroups, patchScimGroup, replaceScimGroup } from '../../scim/groups.js';
import { listResponse, pagingOf } from '../../scim/protocol.js';
import { createScimToken, listScimTokens, revokeScimToken } from '../../scim/tokens.js';
import { createScimUser, deleteScimUser, getScimUser, listScimUsers, patchScimUser, replaceScimUser } from '../../scim/users.js';
import { requireActor, requireUser } from '../auth.js';
import { errors, Id, Name, NoContent, Time } from '../schemas.js';
import { directoryOf, installScimProtocol } from '../scim-protocol.js';

const tags = ['SCIM'];

const ScimTokenSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    createdAt: Time,
    lastUsedAt: Type.Union([Time, Type.Null()]),
  },
  { title: 'ScimToken' },
);

/** Provisioning tokens (under /api/v1) and the SCIM 2.0 protocol they open (under /scim/v2). */
export async function scimRoutes(app: FastifyInstance, ctx: Context): Promise<void> {
  await app.register(async (api) => scimTokenRoutes(api, ctx), { prefix: '/api/v1' });
  await app.register(async (scim) => scimProtocolRoutes(scim, ctx), { prefix: '/scim/v2' });
}

function scimTokenRoutes(plain: FastifyInstance, ctx: Context): void {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const baseUrl = new URL('scim/v2', ctx.publicUrl).toString();

  app.get(
    '/orgs/:orgId/scim-tokens',
    {
      schema: {
        operationId: 'listScimTokens',
        tags,
        summary: "The organization's SCIM provisioning tokens (never their secrets) and the SCIM base URL (org admins)",
        params: Type.Object({ orgId: Id }),
        response: { 200: Type.Object({ scimBaseUrl: Type.String(), items: Type.Array(ScimTokenSchema) }), ...errors(401, 403, 404) },
      },
    },
    async (request) => {
      const tokens = await listScimTokens(ctx, requireActor(request), request.params.orgId);
      return {
        scimBaseUrl: baseUrl,
        items: tokens.map((t) => ({ id: t.id, name: t.name, createdAt: iso(t.createdAt)!, lastUsedAt: iso(t.lastUsedAt) })),
      };
    },
  );

  app.post(
    '/orgs/:orgId/scim-tokens',
    {
      schema: {
        operationId: 'createScimToken',
        tags,
        summary: 'Create a SCIM provisioning token for the organization; the token is shown this once (org admins)',
        description:
          'The directory then creates accounts for addresses that have none (verified: the directory vouches for them) and manages the members of the organization; a person with an account who is not a member joins by invitation first (409 `uniqueness` from `POST /scim/v2/Users`). 403 `email_unverified` for an admin whose own address is not verified.',
        params: Type.Object({ orgId: Id }),
        body: Type.Object({ name: Name }),
        response: {
          201: Type.Object({ id: Type.String(), name: Type.String(), token: Type.String(), createdAt: Time, scimBaseUrl: Type.String() }),
          ...errors(400, 401, 403, 404),
        },
      },
    },
    async (request, reply) => {
      const created = await createScimToken(ctx, requireActor(request), requireUser(request), request.params.orgId, request.body.name);
      return reply
        .code(201)
        .send({ id: created.id, name: created.name, token: created.token, createdAt: iso(created.createdAt)!, scimBaseUrl: baseUrl });
    },
  );

  app.delete(
    '/orgs/:orgId/scim-tokens/:id',
    {
      schema: {
        operationId: 'revokeScimToken',
        tags,
        summary: 'Revoke a SCIM provisioning token: its next request is refused (org admins)',
        params: Type.Object({ orgId: Id, id: Id }),
        response: { 204: NoContent, ...errors(401, 403, 404) },
      },
    },
    async (request, reply) => {
      await revokeScimToken(ctx, requireActor(request), request.params.orgId, request.params.id);
      return reply.code(204).send();
    },
  );
}

type ListQuery = { filter?: string; startIndex?: string; count?: string; excludedAttributes?: string };

/** RFC 7644 over the organization's users and teams; hidden from the OpenAPI document, which describes the Tessera API. */
function scimProtocolRoutes(app: FastifyInstance, ctx: Context): void {
  installScimProtocol(app, ctx);
  const hide = { schema: { hide: true } };

  app.get('/ServiceProviderConfig', hide, async () => serviceProviderConfig(ctx));
  app.get('/ResourceTypes', hide, async () => {
    const types = resourceTypes(ctx);
    return listResponse(types.length, { startIndex: 1, count: types.length }, types);
  });
  app.get('/Schemas', hide, async () => {
    const all = schemas(ctx);
    return listResponse(all.length, { startIndex: 1, count: all.length }, all);
  });

  app.get<{ Querystring: ListQuery }>('/Users', hide, async (request) =>
    listScimUsers(ctx, directoryOf(request), request.query.filter, pagingOf(request.query)),
  );
  app.post('/Users', hide, async (request, reply) => reply.code(201).send(await createScimUser(ctx, directoryOf(request), request.body)));
  app.get<{ Params: { id: string } }>('/Users/:id', hide, async (request) => getScimUser(ctx, directoryOf(request), request.params.id));
  app.put<{ Params: { id: string } }>('/Users/:id', hide, async (request) =>
    replaceScimUser(ctx, directoryOf(request), request.params.id, request.body),
  );
  app.patch<{ Params: { id: string } }>('/Users/:id', hide, async (request) =>
    patchScimUser(ctx, directoryOf(request), request.params.id, request.body),
  );
  app.delete<{ Params: { id: string } }>('/Users/:id', hide, async (request, reply) => {
    await deleteScimUser(ctx, directoryOf(request), request.params.id);
    return reply.code(204).send();
  });

  app.get<{ Querystring: ListQuery }>('/Groups', hide, async (request) =>
    listScimGroups(ctx, directoryOf(request), request.query, pagingOf(request.query)),
  );
  app.post('/Groups', hide, async (request, reply) => reply.code(201).send(await createScimGroup(ctx, directoryOf(request), request.body)));
  app.get<{ Params: { id: string } }>('/Groups/:id', hide, async (request) => getScimGroup(ctx, directoryOf(request), request.params.id));
  app.put<{ Params: { id: string } }>('/Groups/:id', hide, async (request) =>
    replaceScimGroup(ctx, directoryOf(request), request.params.id, request.body),
  );
  app.patch<{ Params: { id: string } }>('/Groups/:id', hide, async (request) =>
    patchScimGroup(ctx, directoryOf(request), request.params.id, request.body),
  );
  app.delete<{ Params: { id: string } }>('/Groups/:id', hide, async (request, reply) => {
    await deleteScimGroup(ctx, directoryOf(request), request.params.id);
    return reply.code(204).send();
  });
}
