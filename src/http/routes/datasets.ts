import { Type } from 'typebox';
import type { Context } from '../../context.js';
import { createDataset, deleteDataset, getDataset, inventory, updateDataset } from '../../datasets/datasets.js';
import { requireActor } from '../auth.js';
import { DatasetSchema, datasetJson, errors, Id, LevelSchema, Name, NoContent, PageQuery, Text, VisibilitySchema } from '../schemas.js';
import type { TypedApp } from '../server.js';

const tags = ['datasets'];
const Description = Text({ maxLength: 10_000 });

const InventoryItem = Type.Intersect(
  [
    DatasetSchema,
    Type.Object({
      orgName: Type.String(),
      teams: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), level: LevelSchema })),
    }),
  ],
  { title: 'InventoryEntry' },
);

export function datasetRoutes(app: TypedApp, ctx: Context): void {
  app.post(
    '/orgs/:orgId/datasets',
    {
      schema: {
        operationId: 'createDataset',
        tags,
        summary: 'Create a dataset; the creator gets a direct admin grant',
        description:
          'Without visibility the dataset starts as `admins`. Only org admins pick another tier, and picking one shares the dataset: with an access token that needs the admin scope (403 `token_scope`).',
        params: Type.Object({ orgId: Id }),
        body: Type.Object({ name: Name, description: Type.Optional(Description), visibility: Type.Optional(VisibilitySchema) }),
        response: { 201: DatasetSchema, ...errors(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const { dataset, level, allowedActions } = await createDataset(ctx, requireActor(request), request.params.orgId, request.body);
      return reply.code(201).send(datasetJson(dataset, level, allowedActions));
    },
  );

  app.get(
    '/datasets',
    {
      schema: {
        operationId: 'listDatasets',
        tags,
        summary: 'The inventory: datasets where my level is at least minLevel, by name',
        description:
          "With a personal access token, the token's scope caps the level: each item's myLevel is at most the scope, and a minLevel above it lists nothing.",
        querystring: Type.Object({
          ...PageQuery,
          orgId: Type.Optional(Id),
          q: Type.Optional(Type.String({ maxLength: 200 })),
          minLevel: Type.Optional(LevelSchema),
        }),
        response: {
          200: Type.Object({ items: Type.Array(InventoryItem), nextCursor: Type.Union([Type.String(), Type.Null()]) }),
          ...errors(400, 401),
        },
      },
    },
    async (request) => {
      const actor = requireActor(request);
      const { limit, ...query } = request.query;
      const page = await inventory(ctx, actor, { ...query, limit: limit ?? 50 });
      return {
        // Each item is the dataset's own JSON with two fields added, not a copy of it (a page holds many).
        items: page.items.map((e) =>
          Object.assign(datasetJson(e.dataset, e.level, e.allowedActions), { orgName: e.orgName, teams: e.teams }),
        ),
        nextCursor: page.nextCursor,
      };
    },
  );

  app.get(
    '/datasets/:id',
    {
      schema: {
        operationId: 'getDataset',
        tags,
        summary: 'A dataset I can read',
        params: Type.Object({ id: Id }),
        response: { 200: DatasetSchema, ...errors(401, 404) },
      },
    },
    async (request) => {
      const { dataset, level, allowedActions } = await getDataset(ctx, requireActor(request), request.params.id);
      return datasetJson(dataset, level, allowedActions);
    },
  );

  app.patch(
    '/datasets/:id',
    {
      schema: {
        operationId: 'updateDataset',
        tags,
        summary: 'Rename or describe (write), or change the Shared With tier (org admins)',
        params: Type.Object({ id: Id }),
        body: Type.Object(
          { name: Type.Optional(Name), description: Type.Optional(Description), visibility: Type.Optional(VisibilitySchema) },
          { minProperties: 1 },
        ),
        response: { 200: DatasetSchema, ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const { dataset, level, allowedActions } = await updateDataset(ctx, requireActor(request), request.params.id, request.body);
      return datasetJson(dataset, level, allowedActions);
    },
  );

  app.delete(
    '/datasets/:id',
    {
      schema: {
        operationId: 'deleteDataset',
        tags,
        summary: 'Delete a dataset with its grants and invitations',
        params: Type.Object({ id: Id }),
        response: { 204: NoContent, ...errors(401, 403, 404) },
      },
    },
    async (request, reply) => {
      await deleteDataset(ctx, requireActor(request), request.params.id);
      return reply.code(204).send();
    },
  );
}
