import { type Static, Type } from 'typebox';
import { iso } from '../../clock.js';
import type { Context } from '../../context.js';
import { listOrgInvitations } from '../../invitations/manage.js';
import { inviteToOrg } from '../../invitations/send.js';
import { createOrg, getOrg, listMembers, previewMemberRemoval, removeMember, updateMember } from '../../orgs/orgs.js';
import { requireActor } from '../auth.js';
import {
  Email,
  errors,
  Id,
  InvitationSchema,
  LevelSchema,
  Name,
  NoContent,
  OrgActionSchema,
  OrganizationSchema,
  PageQuery,
  pageOf,
  RoleSchema,
  UserSchema,
} from '../schemas.js';
import type { TypedApp } from '../server.js';

const tags = ['organizations'];

const MemberSchema = Type.Object(
  { user: UserSchema, role: RoleSchema, processDatasets: Type.Boolean(), joinedAt: Type.String() },
  { title: 'Member' },
);
const RemovalPreviewSchema = Type.Object(
  {
    grants: Type.Array(Type.Object({ datasetId: Type.String(), datasetName: Type.String(), level: LevelSchema })),
    teams: Type.Array(Type.Object({ id: Type.String(), name: Type.String() })),
  },
  { title: 'MemberRemovalPreview' },
);
const memberJson = (m: Awaited<ReturnType<typeof updateMember>>): Static<typeof MemberSchema> => ({ ...m, joinedAt: iso(m.joinedAt) });

export function orgRoutes(app: TypedApp, ctx: Context): void {
  app.post(
    '/orgs',
    {
      schema: {
        operationId: 'createOrg',
        tags,
        summary: 'Create an organization; the creator is its admin',
        body: Type.Object({ name: Name }),
        response: {
          201: Type.Object({ id: Type.String(), name: Type.String(), allowedActions: Type.Array(OrgActionSchema) }),
          ...errors(400, 401),
        },
      },
    },
    async (request, reply) => {
      const actor = requireActor(request);
      return reply.code(201).send(await createOrg(ctx, actor, request.body.name));
    },
  );

  app.get(
    '/orgs/:orgId',
    {
      schema: {
        operationId: 'getOrg',
        tags,
        summary: 'An organization I belong to',
        params: Type.Object({ orgId: Id }),
        response: { 200: OrganizationSchema, ...errors(401, 404) },
      },
    },
    async (request) => getOrg(ctx, requireActor(request), request.params.orgId),
  );

  app.get(
    '/orgs/:orgId/members',
    {
      schema: {
        operationId: 'listMembers',
        tags,
        summary: 'Members of the organization, by name',
        params: Type.Object({ orgId: Id }),
        querystring: Type.Object({ ...PageQuery, q: Type.Optional(Type.String({ maxLength: 200 })) }),
        response: { 200: pageOf(MemberSchema), ...errors(400, 401, 404) },
      },
    },
    async (request) => {
      const page = await listMembers(ctx, requireActor(request), request.params.orgId, {
        limit: request.query.limit ?? 50,
        cursor: request.query.cursor,
        q: request.query.q,
      });
      return { items: page.items.map(memberJson), nextCursor: page.nextCursor };
    },
  );

  app.post(
    '/orgs/:orgId/invitations',
    {
      schema: {
        operationId: 'inviteToOrg',
        tags,
        summary: 'Invite people to join the organization by e-mail',
        params: Type.Object({ orgId: Id }),
        body: Type.Object({ emails: Type.Array(Email, { minItems: 1, maxItems: 50 }), role: RoleSchema }),
        response: { 201: Type.Object({ items: Type.Array(InvitationSchema) }), ...errors(400, 401, 403, 404, 409, 429) },
      },
    },
    async (request, reply) => {
      const items = await inviteToOrg(ctx, requireActor(request), request.params.orgId, request.body);
      return reply.code(201).send({ items });
    },
  );

  app.get(
    '/orgs/:orgId/invitations',
    {
      schema: {
        operationId: 'listOrgInvitations',
        tags,
        summary: 'Open invitations to join the organization: pending, expired and declined, newest first (org admins)',
        params: Type.Object({ orgId: Id }),
        response: { 200: Type.Object({ items: Type.Array(InvitationSchema) }), ...errors(401, 403, 404) },
      },
    },
    async (request) => ({ items: await listOrgInvitations(ctx, requireActor(request), request.params.orgId) }),
  );

  app.patch(
    '/orgs/:orgId/members/:userId',
    {
      schema: {
        operationId: 'updateMember',
        tags,
        summary: "Change a member's role or process-datasets capability",
        params: Type.Object({ orgId: Id, userId: Id }),
        body: Type.Object({ role: Type.Optional(RoleSchema), processDatasets: Type.Optional(Type.Boolean()) }, { minProperties: 1 }),
        response: { 200: MemberSchema, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request) =>
      memberJson(await updateMember(ctx, requireActor(request), request.params.orgId, request.params.userId, request.body)),
  );

  app.get(
    '/orgs/:orgId/members/:userId/removal-preview',
    {
      schema: {
        operationId: 'previewMemberRemoval',
        tags,
        summary: "What removing a member would take away: their direct grants on the organization's datasets and their teams",
        description:
          'Org admins about anyone, a member about themself. About someone else it is organization administration: 403 `token_scope` with an access token below the admin scope.',
        params: Type.Object({ orgId: Id, userId: Id }),
        response: { 200: RemovalPreviewSchema, ...errors(401, 403, 404) },
      },
    },
    async (request) => previewMemberRemoval(ctx, requireActor(request), request.params.orgId, request.params.userId),
  );

  app.delete(
    '/orgs/:orgId/members/:userId',
    {
      schema: {
        operationId: 'removeMember',
        tags,
        summary:
          "Remove a member (or leave); drops their team memberships and direct grants on the organization's datasets, unless keepGrants keeps the grants (external, dormant unless the tier is external)",
        description:
          'Removing someone else is organization administration: 403 `token_scope` with an access token below the admin scope. Leaving is not.',
        params: Type.Object({ orgId: Id, userId: Id }),
        querystring: Type.Object({ keepGrants: Type.Optional(Type.Boolean({ default: false })) }),
        response: { 204: NoContent, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      await removeMember(ctx, requireActor(request), request.params.orgId, request.params.userId, {
        keepGrants: request.query.keepGrants,
      });
      return reply.code(204).send();
    },
  );
}
