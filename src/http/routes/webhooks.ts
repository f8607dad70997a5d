import { Type } from 'typebox';
import type { Context } from '../../context.js';
import { createWebhook, listDeliveries, listWebhooks, pingWebhook, removeWebhook, rotateSecret } from '../../webhooks/manage.js';
import { requireActor } from '../auth.js';
import { errors, Id, NoContent, Nullable, Time } from '../schemas.js';
import type { TypedApp } from '../server.js';

const tags = ['webhooks'];

/** An audit event type (`grant.set`, `link.redeemed`, …) or `*` for all of them, present and future. */
const EventType = Type.String({ minLength: 1, maxLength: 64, pattern: '^(\\*|[a-z][a-z_]*\\.[a-z][a-z_]*)$' });

const webhookFields = {
  id: Type.String(),
  url: Type.String(),
  events: Type.Array(Type.String()),
  /** False once disabled after a day of failures. */
  enabled: Type.Boolean(),
  disabledAt: Nullable(Time),
  createdAt: Time,
};

export const WebhookSchema = Type.Object(webhookFields, { title: 'Webhook' });

export const WebhookDeliverySchema = Type.Object(
  {
    id: Type.String(),
    event: Type.String(),
    status: Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')]),
    attempts: Type.Integer(),
    responseStatus: Type.Union([Type.Integer(), Type.Null()]),
    error: Nullable(Type.String()),
    /** When a delivery waiting after a failed attempt is tried again; null while it is being sent, and once it is over. */
    nextAttemptAt: Nullable(Time),
    createdAt: Time,
  },
  { title: 'WebhookDelivery' },
);

export function webhookRoutes(app: TypedApp, ctx: Context): void {
  app.post(
    '/orgs/:orgId/webhooks',
    {
      schema: {
        operationId: 'createWebhook',
        tags,
        summary: 'Register an endpoint for some or all audit event types of the organization; the secret is shown this once (org admin)',
        params: Type.Object({ orgId: Id }),
        body: Type.Object(
          { url: Type.String({ minLength: 1, maxLength: 2048 }), events: Type.Array(EventType, { minItems: 1, maxItems: 100 }) },
          { additionalProperties: false },
        ),
        response: { 201: Type.Object({ ...webhookFields, secret: Type.String() }), ...errors(400, 401, 403, 404) },
      },
    },
    async (request, reply) => reply.code(201).send(await createWebhook(ctx, requireActor(request), request.params.orgId, request.body)),
  );

  app.get(
    '/orgs/:orgId/webhooks',
    {
      schema: {
        operationId: 'listWebhooks',
        tags,
        summary: 'The organization’s webhooks, without their secrets (org admin)',
        params: Type.Object({ orgId: Id }),
        response: { 200: Type.Object({ items: Type.Array(WebhookSchema) }), ...errors(401, 403, 404) },
      },
    },
    async (request) => ({ items: await listWebhooks(ctx, requireActor(request), request.params.orgId) }),
  );

  app.delete(
    '/webhooks/:id',
    {
      schema: {
        operationId: 'deleteWebhook',
        tags,
        summary: 'Delete a webhook and its delivery log (org admin)',
        params: Type.Object({ id: Id }),
        response: { 204: NoContent, ...errors(401, 403, 404) },
      },
    },
    async (request, reply) => {
      await removeWebhook(ctx, requireActor(request), request.params.id);
      return reply.code(204).send();
    },
  );

  app.post(
    '/webhooks/:id/ping',
    {
      schema: {
        operationId: 'pingWebhook',
        tags,
        summary: 'Queue a `ping` event to this webhook (org admin)',
        params: Type.Object({ id: Id }),
        response: { 202: Type.Object({ deliveryId: Type.String() }), ...errors(401, 403, 404) },
      },
    },
    async (request, reply) => reply.code(202).send(await pingWebhook(ctx, requireActor(request), request.params.id)),
  );

  app.get(
    '/webhooks/:id/deliveries',
    {
      schema: {
        operationId: 'listWebhookDeliveries',
        tags,
        summary: 'The webhook’s latest deliveries with their attempts and last answer’s status (org admin)',
        params: Type.Object({ id: Id }),
        response: { 200: Type.Object({ items: Type.Array(WebhookDeliverySchema) }), ...errors(401, 403, 404) },
      },
    },
    async (request) => ({ items: await listDeliveries(ctx, requireActor(request), request.params.id) }),
  );

  app.post(
    '/webhooks/:id/rotate-secret',
    {
      schema: {
        operationId: 'rotateWebhookSecret',
        tags,
        summary: 'A new signing secret, shown this once; the previous one signs too for 24 hours (org admin)',
        params: Type.Object({ id: Id }),
        response: { 200: Type.Object({ secret: Type.String() }), ...errors(401, 403, 404) },
      },
    },
    async (request) => rotateSecret(ctx, requireActor(request), request.params.id),
  );
}
