import { Type } from 'typebox';
import type { Context } from '../../context.js';
import { createLink, listLinks, listRedemptions, revokeLink } from '../../links/manage.js';
import { lookupLink, redeemLink } from '../../links/redeem.js';
import { requireActor, requireUser } from '../auth.js';
import { errors, Id, LevelSchema, Name, NoContent, PageQuery, PersonSchema, pageOf, Time } from '../schemas.js';
import type { TypedApp } from '../server.js';

const tags = ['share links'];
const Token = Type.String({ minLength: 1, maxLength: 256 });
const LinkLevel = Type.Union([Type.Literal('read'), Type.Literal('annotate')]);
const Domain = Type.String({ minLength: 1, maxLength: 254 });

const LinkSchema = Type.Object(
  {
    id: Type.String(),
    datasetId: Type.String(),
    name: Type.String(),
    level: LinkLevel,
    expiresAt: Time,
    maxUses: Type.Union([Type.Integer(), Type.Null()]),
    uses: Type.Integer(),
    allowedDomains: Type.Array(Type.String()),
    membersOnly: Type.Boolean(),
    status: Type.Union([Type.Literal('active'), Type.Literal('expired'), Type.Literal('revoked'), Type.Literal('used_up')]),
    createdBy: PersonSchema,
    createdAt: Time,
    revokedAt: Type.Union([Time, Type.Null()]),
  },
  { title: 'Link' },
);

const RedemptionSchema = Type.Object(
  {
    user: Type.Object({ id: Type.String(), name: Type.String(), email: Type.Optional(Type.String()) }),
    redeemedAt: Time,
    level: LevelSchema,
  },
  { title: 'LinkRedemption' },
);

export function linkRoutes(app: TypedApp, ctx: Context): void {
  app.post(
    '/datasets/:id/links',
    {
      schema: {
        operationId: 'createLink',
        tags,
        summary: 'Make a share link (dataset admins); the url with its secret is shown this once',
        description:
          '`expiresAt` at most 30 days ahead. `allowedDomains` limits who may redeem it to addresses at those domains (exactly, not their subdomains); `membersOnly` to members of the organization.',
        params: Type.Object({ id: Id }),
        body: Type.Object({
          name: Name,
          level: LinkLevel,
          expiresAt: Time,
          maxUses: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 1_000_000 }), Type.Null()])),
          allowedDomains: Type.Optional(Type.Array(Domain, { maxItems: 20 })),
          membersOnly: Type.Optional(Type.Boolean()),
        }),
        response: { 201: Type.Object({ ...LinkSchema.properties, url: Type.String() }), ...errors(400, 401, 403, 404) },
      },
    },
    async (request, reply) => reply.code(201).send(await createLink(ctx, requireActor(request), request.params.id, request.body)),
  );

  app.get(
    '/datasets/:id/links',
    {
      schema: {
        operationId: 'listLinks',
        tags,
        summary: "The dataset's share links, newest first, with their uses (no secrets)",
        params: Type.Object({ id: Id }),
        querystring: Type.Object(PageQuery),
        response: { 200: pageOf(LinkSchema), ...errors(400, 401, 403, 404) },
      },
    },
    async (request) =>
      listLinks(ctx, requireActor(request), request.params.id, { limit: request.query.limit ?? 50, cursor: request.query.cursor }),
  );

  app.get(
    '/datasets/:id/links/:linkId/redemptions',
    {
      schema: {
        operationId: 'listLinkRedemptions',
        tags,
        summary: 'Who redeemed a share link and when, newest first',
        params: Type.Object({ id: Id, linkId: Id }),
        querystring: Type.Object(PageQuery),
        response: { 200: pageOf(RedemptionSchema), ...errors(400, 401, 403, 404) },
      },
    },
    async (request) =>
      listRedemptions(ctx, requireActor(request), request.params.id, request.params.linkId, {
        limit: request.query.limit ?? 50,
        cursor: request.query.cursor,
      }),
  );

  app.delete(
    '/links/:id',
    {
      schema: {
        operationId: 'revokeLink',
        tags,
        summary: 'Revoke a share link: it is dead for the very next redemption (grants it gave stay)',
        params: Type.Object({ id: Id }),
        response: { 204: NoContent, ...errors(401, 403, 404) },
      },
    },
    async (request, reply) => {
      await revokeLink(ctx, requireActor(request), request.params.id);
      return reply.code(204).send();
    },
  );

  app.get(
    '/links/lookup',
    {
      schema: {
        operationId: 'lookUpLink',
        tags,
        summary: 'What a share link offers (anyone holding it)',
        security: [],
        querystring: Type.Object({ token: Token }),
        response: {
          200: Type.Object({
            datasetName: Type.String(),
            orgName: Type.String(),
            level: LinkLevel,
            expiresAt: Time,
            createdBy: Type.Object({ name: Type.String() }),
            allowedDomains: Type.Array(Type.String()),
            membersOnly: Type.Boolean(),
          }),
          ...errors(400, 404, 410),
        },
      },
    },
    async (request) => lookupLink(ctx, request.query.token),
  );

  app.post(
    '/links/redeem',
    {
      schema: {
        operationId: 'redeemLink',
        tags,
        summary: 'Redeem a share link for a direct grant at its level (logged in, e-mail verified)',
        description:
          'An existing higher grant is kept. A repeat by the same person while their grant stands answers 200 and takes no use; once that grant has been revoked the link answers 410 `link_used_up` to them.',
        body: Type.Object({ token: Token }),
        response: { 200: Type.Object({ datasetId: Type.String(), level: LevelSchema }), ...errors(400, 401, 403, 404, 409, 410) },
      },
    },
    async (request) => redeemLink(ctx, requireUser(request), request.body.token),
  );
}
