import { Type } from 'typebox';
import type { Context } from '../../context.js';
import { extendInvitation, resendInvitation, revokeInvitation } from '../../invitations/manage.js';
import { acceptInvitation, declineInvitation, lookupInvitation } from '../../invitations/redeem.js';
import { inviteToDataset } from '../../invitations/send.js';
import { requireActor, requireUser } from '../auth.js';
import { Email, errors, Id, InvitationSchema, InvitationStatusSchema, LevelSchema, NoContent, RoleSchema, Time } from '../schemas.js';
import type { TypedApp } from '../server.js';

const tags = ['invitations'];
const Token = Type.String({ minLength: 1, maxLength: 256 });

export function invitationRoutes(app: TypedApp, ctx: Context): void {
  app.post(
    '/datasets/:id/invitations',
    {
      schema: {
        operationId: 'inviteToDataset',
        tags,
        summary: 'Share a dataset by e-mail with 1–50 addresses at one level',
        params: Type.Object({ id: Id }),
        body: Type.Object({ emails: Type.Array(Email, { minItems: 1, maxItems: 50 }), level: LevelSchema }),
        response: { 201: Type.Object({ items: Type.Array(InvitationSchema) }), ...errors(400, 401, 403, 404, 409, 429) },
      },
    },
    async (request, reply) => {
      const items = await inviteToDataset(ctx, requireActor(request), request.params.id, request.body);
      return reply.code(201).send({ items });
    },
  );

  const manage = { params: Type.Object({ id: Id }), response: { 200: InvitationSchema, ...errors(401, 403, 404, 409) } };

  app.post(
    '/invitations/:id/extend',
    {
      schema: { operationId: 'extendInvitation', tags, summary: 'Expire 72 hours from now; the link stays the same', ...manage },
    },
    async (request) => extendInvitation(ctx, requireActor(request), request.params.id),
  );

  app.post(
    '/invitations/:id/resend',
    {
      schema: {
        operationId: 'resendInvitation',
        tags,
        summary: 'Mail a new link with a fresh 72 hours; the old link dies (counts against the send limit)',
        ...manage,
        response: { ...manage.response, ...errors(429) },
      },
    },
    async (request) => resendInvitation(ctx, requireActor(request), request.params.id),
  );

  app.delete(
    '/invitations/:id',
    {
      schema: {
        operationId: 'revokeInvitation',
        tags,
        summary: 'Revoke a pending invitation',
        params: Type.Object({ id: Id }),
        response: { 204: NoContent, ...errors(401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      await revokeInvitation(ctx, requireActor(request), request.params.id);
      return reply.code(204).send();
    },
  );

  app.get(
    '/invitations/lookup',
    {
      schema: {
        operationId: 'lookUpInvitation',
        tags,
        summary: 'What an invitation link offers (anyone holding the link)',
        security: [],
        querystring: Type.Object({ token: Token }),
        response: {
          200: Type.Object({
            kind: Type.Union([Type.Literal('dataset'), Type.Literal('org')]),
            email: Type.String(),
            level: Type.Optional(LevelSchema),
            role: Type.Optional(RoleSchema),
            datasetName: Type.Optional(Type.String()),
            orgName: Type.String(),
            invitedBy: Type.Object({ name: Type.String() }),
            status: InvitationStatusSchema,
            expiresAt: Time,
            accountExists: Type.Boolean({ description: 'Whether the invited address already has an account (log in rather than sign up)' }),
          }),
          ...errors(400, 404),
        },
      },
    },
    async (request) => lookupInvitation(ctx, request.query.token),
  );

  app.post(
    '/invitations/accept',
    {
      schema: {
        operationId: 'acceptInvitation',
        tags,
        summary: 'Accept an invitation as the invited, logged-in user',
        body: Type.Object({ token: Token }),
        response: {
          200: Type.Object({
            kind: Type.Union([Type.Literal('dataset'), Type.Literal('org')]),
            datasetId: Type.Optional(Type.String()),
            orgId: Type.String(),
            level: Type.Optional(LevelSchema),
            role: Type.Optional(RoleSchema),
          }),
          ...errors(400, 401, 403, 404, 409, 410),
        },
      },
    },
    async (request) => acceptInvitation(ctx, requireUser(request), request.body.token),
  );

  app.post(
    '/invitations/decline',
    {
      schema: {
        operationId: 'declineInvitation',
        tags,
        summary: 'Decline an invitation; the link dies',
        security: [],
        body: Type.Object({ token: Token }),
        response: { 204: NoContent, ...errors(400, 404, 410) },
      },
    },
    async (request, reply) => {
      await declineInvitation(ctx, request.body.token);
      return reply.code(204).send();
    },
  );
}
