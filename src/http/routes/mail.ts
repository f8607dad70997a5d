import { Type } from 'typebox';
import type { Context } from '../../context.js';
import { listUndeliveredMail, retryMailNow } from '../../invitations/undelivered.js';
import { requireActor } from '../auth.js';
import { errors, Id, Nullable } from '../schemas.js';
import type { TypedApp } from '../server.js';

const tags = ['mail'];

export const UndeliveredMailSchema = Type.Object(
  {
    id: Type.String(),
    invitationId: Type.String(),
    invitationKind: Type.Union([Type.Literal('dataset'), Type.Literal('org')]),
    datasetId: Nullable(Type.String()),
    email: Type.String(),
    status: Type.Union([Type.Literal('queued'), Type.Literal('sending'), Type.Literal('failed')]),
    attempts: Type.Integer(),
    reason: Nullable(Type.String()),
    queuedAt: Type.String(),
    nextAttemptAt: Nullable(Type.String()),
  },
  { title: 'UndeliveredMail' },
);

export function mailRoutes(app: TypedApp, ctx: Context): void {
  app.get(
    '/orgs/:orgId/undelivered',
    {
      schema: {
        operationId: 'listUndeliveredMail',
        tags,
        summary: 'Invitation e-mails of the organization that have not left yet, with the reason in words (org admin)',
        params: Type.Object({ orgId: Id }),
        response: { 200: Type.Object({ items: Type.Array(UndeliveredMailSchema) }), ...errors(401, 403, 404) },
      },
    },
    async (request) => ({ items: await listUndeliveredMail(ctx, requireActor(request), request.params.orgId) }),
  );

  app.post(
    '/orgs/:orgId/undelivered/:messageId/retry',
    {
      schema: {
        operationId: 'retryUndeliveredMail',
        tags,
        summary: 'Retry now: the message is due at once, with a fresh day of retries (org admin)',
        params: Type.Object({ orgId: Id, messageId: Id }),
        response: { 200: UndeliveredMailSchema, ...errors(401, 403, 404) },
      },
    },
    async (request) => retryMailNow(ctx, requireActor(request), request.params.orgId, request.params.messageId),
  );
}
