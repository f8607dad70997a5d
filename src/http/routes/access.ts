import { Type } from 'typebox';
import { explainAccess } from '../../access/explain.js';
import type { Context } from '../../context.js';
import { previewSharing } from '../../sharing/preview.js';
import { requireActor } from '../auth.js';
import { errors, Id, LevelSchema, Time, VisibilitySchema } from '../schemas.js';
import type { TypedApp } from '../server.js';

const tags = ['sharing'];
const NullableLevel = Type.Union([LevelSchema, Type.Null()]);
const NullableTime = Type.Union([Time, Type.Null()]);

const PathSchema = Type.Object(
  {
    kind: Type.Union([Type.Literal('org_admin'), Type.Literal('visibility'), Type.Literal('team'), Type.Literal('direct')]),
    level: LevelSchema,
    team: Type.Optional(Type.Object({ id: Type.String(), name: Type.String() })),
    expiresAt: Type.Optional(NullableTime),
  },
  { title: 'AccessPath' },
);

const ChangeSchema = Type.Object(
  {
    user: Type.Object(
      { id: Type.String(), email: Type.Optional(Type.String()), name: Type.String(), emailVerified: Type.Optional(Type.Boolean()) },
      { description: 'email and emailVerified are left out for someone outside your organizations who holds no grant on the dataset' },
    ),
    from: NullableLevel,
    to: NullableLevel,
  },
  { title: 'SharingChange' },
);

export function accessRoutes(app: TypedApp, ctx: Context): void {
  app.get(
    '/datasets/:id/access/:userId',
    {
      schema: {
        operationId: 'explainAccess',
        tags,
        summary: 'Why a user has the level they have: every path that grants it',
        params: Type.Object({ id: Id, userId: Id }),
        response: {
          200: Type.Object({
            level: NullableLevel,
            paths: Type.Array(PathSchema),
            dormant: Type.Array(Type.Object({ kind: Type.Literal('direct'), level: LevelSchema, expiresAt: NullableTime })),
          }),
          ...errors(401, 403, 404),
        },
      },
    },
    async (request) => explainAccess(ctx.db, requireActor(request), request.params.id, request.params.userId, ctx.clock.now()),
  );

  app.post(
    '/datasets/:id/sharing/preview',
    {
      schema: {
        operationId: 'previewSharing',
        tags,
        summary: 'Who would gain and lose which level if a tier changed or a team or user were removed; changes nothing',
        params: Type.Object({ id: Id }),
        body: Type.Object({
          visibility: Type.Optional(VisibilitySchema),
          removeTeamId: Type.Optional(Id),
          removeUserId: Type.Optional(Id),
        }),
        response: {
          200: Type.Object({ gains: Type.Array(ChangeSchema), losses: Type.Array(ChangeSchema) }),
          ...errors(400, 401, 403, 404),
        },
      },
    },
    async (request) => previewSharing(ctx, requireActor(request), request.params.id, request.body),
  );
}
