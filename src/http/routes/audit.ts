import { Readable } from 'node:stream';
import { Type } from 'typebox';
import { accessReview, auditCsv, listAuditEvents } from '../../audit/log.js';
import type { Context } from '../../context.js';
import { requireActor } from '../auth.js';
import { CsvText, errors, Id, LevelSchema, PageQuery, pageOf, Time, UserSchema } from '../schemas.js';
import type { TypedApp } from '../server.js';

const tags = ['audit'];

const Filter = {
  datasetId: Type.Optional(Id),
  actorId: Type.Optional(Id),
  action: Type.Optional(Type.String({ maxLength: 64, pattern: '^[a-z_.]+$' })),
  from: Type.Optional(Time),
  to: Type.Optional(Time),
};

const EventSchema = Type.Object(
  {
    id: Type.String(),
    at: Time,
    actor: Type.Union([Type.Object({ id: Type.String(), name: Type.String() }), Type.Null()]),
    action: Type.String(),
    datasetId: Type.Union([Type.String(), Type.Null()]),
    subject: Type.String(),
    subjectName: Type.Union([Type.String(), Type.Null()]),
    before: Type.Unknown(),
    after: Type.Unknown(),
  },
  { title: 'AuditEvent' },
);

const ReviewSchema = Type.Object(
  {
    datasetId: Type.String(),
    datasetName: Type.String(),
    subject: Type.Union([
      Type.Object({ kind: Type.Literal('user'), user: UserSchema }),
      Type.Object({ kind: Type.Literal('team'), team: Type.Object({ id: Type.String(), name: Type.String() }) }),
    ]),
    level: LevelSchema,
    external: Type.Boolean(),
    expiresAt: Type.Union([Time, Type.Null()]),
    createdAt: Time,
    lastUsedAt: Type.Union([Time, Type.Null()]),
    reasons: Type.Array(Type.Union([Type.Literal('external'), Type.Literal('unused')])),
  },
  { title: 'AccessReviewEntry' },
);

export function auditRoutes(app: TypedApp, ctx: Context): void {
  app.get(
    '/orgs/:orgId/audit',
    {
      schema: {
        operationId: 'listAuditEvents',
        tags,
        summary: "The organization's audit log, newest first (org admins; dataset admins with datasetId)",
        params: Type.Object({ orgId: Id }),
        querystring: Type.Object({ ...PageQuery, ...Filter }),
        response: { 200: pageOf(EventSchema), ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const { limit, cursor, ...filter } = request.query;
      return listAuditEvents(ctx, requireActor(request), request.params.orgId, filter, { limit: limit ?? 50, cursor });
    },
  );

  app.get(
    '/orgs/:orgId/audit.csv',
    {
      schema: {
        operationId: 'exportAuditEvents',
        tags,
        summary: 'The same log as CSV (org admins)',
        params: Type.Object({ orgId: Id }),
        querystring: Type.Object(Filter),
        response: { 200: CsvText, ...errors(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const rows = auditCsv(ctx, requireActor(request), request.params.orgId, request.query);
      // Pull the header first, so an authorization error is still a JSON error and not a broken download.
      const first = await rows.next();
      const body = Readable.from(
        (async function* () {
          if (!first.done) yield first.value;
          yield* rows;
        })(),
      );
      return reply
        .type('text/csv; charset=utf-8')
        .header('Content-Disposition', `attachment; filename="audit-${request.params.orgId}.csv"`)
        .send(body);
    },
  );

  app.get(
    '/orgs/:orgId/access-review',
    {
      schema: {
        operationId: 'getAccessReview',
        tags,
        summary: 'Grants to external accessors and grants unused for 90 days (org admins)',
        params: Type.Object({ orgId: Id }),
        response: { 200: Type.Object({ items: Type.Array(ReviewSchema) }), ...errors(401, 403, 404) },
      },
    },
    async (request) => ({ items: await accessReview(ctx, requireActor(request), request.params.orgId) }),
  );
}
