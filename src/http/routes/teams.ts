import { Type } from 'typebox';
import type { Context } from '../../context.js';
import { addTeamMember, createTeam, deleteTeam, getTeam, listTeams, removeTeamMember, renameTeam } from '../../teams/teams.js';
import { requireActor } from '../auth.js';
import { errors, Id, Name, NoContent, UserSchema } from '../schemas.js';
import type { TypedApp } from '../server.js';

const tags = ['teams'];
const TeamSchema = Type.Object({ id: Type.String(), name: Type.String() }, { title: 'Team' });

export function teamRoutes(app: TypedApp, ctx: Context): void {
  app.post(
    '/orgs/:orgId/teams',
    {
      schema: {
        operationId: 'createTeam',
        tags,
        summary: 'Create a team',
        params: Type.Object({ orgId: Id }),
        body: Type.Object({ name: Name }),
        response: { 201: TeamSchema, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const team = await createTeam(ctx, requireActor(request), request.params.orgId, request.body.name);
      return reply.code(201).send({ id: team.id, name: team.name });
    },
  );

  app.get(
    '/orgs/:orgId/teams',
    {
      schema: {
        operationId: 'listTeams',
        tags,
        summary: "The organization's teams",
        params: Type.Object({ orgId: Id }),
        response: {
          200: Type.Object({
            items: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), memberCount: Type.Integer() })),
            nextCursor: Type.Null(),
          }),
          ...errors(401, 404),
        },
      },
    },
    async (request) => ({ items: await listTeams(ctx, requireActor(request), request.params.orgId), nextCursor: null }),
  );

  app.get(
    '/teams/:teamId',
    {
      schema: {
        operationId: 'getTeam',
        tags,
        summary: 'A team and its members',
        params: Type.Object({ teamId: Id }),
        response: {
          200: Type.Object({ id: Type.String(), name: Type.String(), orgId: Type.String(), members: Type.Array(UserSchema) }),
          ...errors(401, 404),
        },
      },
    },
    async (request) => getTeam(ctx, requireActor(request), request.params.teamId),
  );

  app.patch(
    '/teams/:teamId',
    {
      schema: {
        operationId: 'updateTeam',
        tags,
        summary: 'Rename a team',
        params: Type.Object({ teamId: Id }),
        body: Type.Object({ name: Name }),
        response: { 200: TeamSchema, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const team = await renameTeam(ctx, requireActor(request), request.params.teamId, request.body.name);
      return { id: team.id, name: team.name };
    },
  );

  app.delete(
    '/teams/:teamId',
    {
      schema: {
        operationId: 'deleteTeam',
        tags,
        summary: 'Delete a team and every grant it held',
        params: Type.Object({ teamId: Id }),
        response: { 204: NoContent, ...errors(401, 403, 404) },
      },
    },
    async (request, reply) => {
      await deleteTeam(ctx, requireActor(request), request.params.teamId);
      return reply.code(204).send();
    },
  );

  app.put(
    '/teams/:teamId/members/:userId',
    {
      schema: {
        operationId: 'addTeamMember',
        tags,
        summary: 'Add an organization member to the team',
        params: Type.Object({ teamId: Id, userId: Id }),
        response: { 204: NoContent, ...errors(401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      await addTeamMember(ctx, requireActor(request), request.params.teamId, request.params.userId);
      return reply.code(204).send();
    },
  );

  app.delete(
    '/teams/:teamId/members/:userId',
    {
      schema: {
        operationId: 'removeTeamMember',
        tags,
        summary: 'Remove a member from the team',
        params: Type.Object({ teamId: Id, userId: Id }),
        response: { 204: NoContent, ...errors(401, 403, 404) },
      },
    },
    async (request, reply) => {
      await removeTeamMember(ctx, requireActor(request), request.params.teamId, request.params.userId);
      return reply.code(204).send();
    },
  );
}
