import { Type } from 'typebox';
import type { Context } from '../../context.js';
import {
  addDatasetToProject,
  createProject,
  getProject,
  listProjects,
  projectsOfDataset,
  removeDatasetFromProject,
} from '../../projects/projects.js';
import { requireActor } from '../auth.js';
import { DatasetSchema, datasetJson, errors, Id, Name, NoContent } from '../schemas.js';
import type { TypedApp } from '../server.js';

const ProjectSchema = Type.Object({ id: Type.String(), orgId: Type.String(), name: Type.String() }, { title: 'Project' });

export function projectRoutes(app: TypedApp, ctx: Context): void {
  app.post(
    '/orgs/:orgId/projects',
    {
      schema: {
        operationId: 'createProject',
        tags: ['projects'],
        summary: 'Create a project (any member)',
        params: Type.Object({ orgId: Id }),
        body: Type.Object({ name: Name }),
        response: { 201: ProjectSchema, ...errors(400, 401, 404) },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await createProject(ctx, requireActor(request), request.params.orgId, request.body.name)),
  );

  app.get(
    '/orgs/:orgId/projects',
    {
      schema: {
        operationId: 'listProjects',
        tags: ['projects'],
        summary: "The organization's projects",
        params: Type.Object({ orgId: Id }),
        response: { 200: Type.Object({ items: Type.Array(ProjectSchema), nextCursor: Type.Null() }), ...errors(401, 404) },
      },
    },
    async (request) => ({ items: await listProjects(ctx, requireActor(request), request.params.orgId), nextCursor: null }),
  );

  app.get(
    '/projects/:id',
    {
      schema: {
        operationId: 'getProject',
        tags: ['projects'],
        summary: 'A project with the datasets I can read (the others are not even counted)',
        params: Type.Object({ id: Id }),
        response: {
          200: Type.Object({ id: Type.String(), orgId: Type.String(), name: Type.String(), datasets: Type.Array(DatasetSchema) }),
          ...errors(401, 404),
        },
      },
    },
    async (request) => {
      const project = await getProject(ctx, requireActor(request), request.params.id);
      return { ...project, datasets: project.datasets.map((d) => datasetJson(d.dataset, d.level, d.allowedActions)) };
    },
  );

  app.put(
    '/projects/:id/datasets/:datasetId',
    {
      schema: {
        operationId: 'addProjectDataset',
        tags: ['projects'],
        summary: 'Add a dataset I can read to the project',
        params: Type.Object({ id: Id, datasetId: Id }),
        response: { 204: NoContent, ...errors(401, 404) },
      },
    },
    async (request, reply) => {
      await addDatasetToProject(ctx, requireActor(request), request.params.id, request.params.datasetId);
      return reply.code(204).send();
    },
  );

  app.delete(
    '/projects/:id/datasets/:datasetId',
    {
      schema: {
        operationId: 'removeProjectDataset',
        tags: ['projects'],
        summary: 'Remove a dataset from the project',
        params: Type.Object({ id: Id, datasetId: Id }),
        response: { 204: NoContent, ...errors(401, 404) },
      },
    },
    async (request, reply) => {
      await removeDatasetFromProject(ctx, requireActor(request), request.params.id, request.params.datasetId);
      return reply.code(204).send();
    },
  );

  app.get(
    '/datasets/:id/projects',
    {
      schema: {
        operationId: 'listDatasetProjects',
        tags: ['projects'],
        summary: 'The projects that hold this dataset',
        params: Type.Object({ id: Id }),
        response: { 200: Type.Object({ items: Type.Array(ProjectSchema), nextCursor: Type.Null() }), ...errors(401, 404) },
      },
    },
    async (request) => ({ items: await projectsOfDataset(ctx, requireActor(request), request.params.id), nextCursor: null }),
  );
}
