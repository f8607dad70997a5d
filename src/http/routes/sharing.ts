import { Type } from 'typebox';
import type { Context } from '../../context.js';
import { getSharing, revokeTeamGrant, revokeUserGrant, setTeamGrant, setUserGrant } from '../../sharing/sharing.js';
import { requireActor } from '../auth.js';
import { errors, Id, InvitationSchema, LevelSchema, NoContent, PersonSchema, Time, UserSchema, VisibilitySchema } from '../schemas.js';
import type { TypedApp } from '../server.js';

const tags = ['sharing'];
const NullableTime = Type.Union([Time, Type.Null()]);
const GrantedBy = Type.Union([PersonSchema, Type.Null()]);

const UserGrantSchema = Type.Object(
  {
    user: UserSchema,
    level: LevelSchema,
    external: Type.Boolean(),
    active: Type.Boolean(),
    expiresAt: NullableTime,
    grantedBy: GrantedBy,
    createdAt: Time,
  },
  { title: 'Grant' },
);

const TeamGrantSchema = Type.Object(
  {
    team: Type.Object({ id: Type.String(), name: Type.String(), memberCount: Type.Integer() }),
    level: LevelSchema,
    expiresAt: NullableTime,
    grantedBy: GrantedBy,
    createdAt: Time,
  },
  { title: 'TeamGrant' },
);

const GrantBody = Type.Object({ level: LevelSchema, expiresAt: Type.Optional(Type.Union([Time, Type.Null()])) });

export function sharingRoutes(app: TypedApp, ctx: Context): void {
  app.get(
    '/datasets/:id/sharing',
    {
      schema: {
        operationId: 'getSharing',
        tags,
        summary: 'Who has access and through what, teams, and open invitations',
        params: Type.Object({ id: Id }),
        response: {
          200: Type.Object({
            visibility: VisibilitySchema,
            users: Type.Array(UserGrantSchema),
            teams: Type.Array(TeamGrantSchema),
            invitations: Type.Array(InvitationSchema),
          }),
          ...errors(401, 403, 404),
        },
      },
    },
    async (request) => getSharing(ctx, requireActor(request), request.params.id),
  );

  app.put(
    '/datasets/:id/sharing/users/:userId',
    {
      schema: {
        operationId: 'setUserGrant',
        tags,
        summary:
          "Set a user's direct grant (optionally until a time); only for members of the dataset's organization and users already holding a grant on one of its datasets (others are invited by e-mail)",
        params: Type.Object({ id: Id, userId: Id }),
        body: GrantBody,
        response: { 200: UserGrantSchema, ...errors(400, 401, 403, 404, 409, 429) },
      },
    },
    async (request) =>
      setUserGrant(ctx, requireActor(request), request.params.id, request.params.userId, {
        level: request.body.level,
        expiresAt: request.body.expiresAt ?? undefined,
      }),
  );

  app.delete(
    '/datasets/:id/sharing/users/:userId',
    {
      schema: {
        operationId: 'revokeUserGrant',
        tags,
        summary: "Revoke a user's direct grant",
        params: Type.Object({ id: Id, userId: Id }),
        response: { 204: NoContent, ...errors(401, 403, 404) },
      },
    },
    async (request, reply) => {
      await revokeUserGrant(ctx, requireActor(request), request.params.id, request.params.userId);
      return reply.code(204).send();
    },
  );

  app.put(
    '/datasets/:id/sharing/teams/:teamId',
    {
      schema: {
        operationId: 'setTeamGrant',
        tags,
        summary: 'Grant a team of the same organization a level (optionally until a time)',
        params: Type.Object({ id: Id, teamId: Id }),
        body: GrantBody,
        response: {
          200: Type.Object({ team: Type.Object({ id: Type.String(), name: Type.String() }), level: LevelSchema, expiresAt: NullableTime }),
          ...errors(400, 401, 403, 404),
        },
      },
    },
    async (request) =>
      setTeamGrant(ctx, requireActor(request), request.params.id, request.params.teamId, {
        level: request.body.level,
        expiresAt: request.body.expiresAt ?? undefined,
      }),
  );

  app.delete(
    '/datasets/:id/sharing/teams/:teamId',
    {
      schema: {
        operationId: 'revokeTeamGrant',
        tags,
        summary: "Revoke a team's grant",
        params: Type.Object({ id: Id, teamId: Id }),
        response: { 204: NoContent, ...errors(401, 403, 404) },
      },
    },
    async (request, reply) => {
      await revokeTeamGrant(ctx, requireActor(request), request.params.id, request.params.teamId);
      return reply.code(204).send();
    },
  );
}
