import { Type } from 'typebox';
import { iso } from '../../clock.js';
import type { Context } from '../../context.js';
import { getJob, lineageOf, processDataset } from '../../processing/dedupe.js';
import {
  addDatasetToProject,
  createProject,
  getProject,
  listProjects,
  projectsOfDataset,
  removeDatasetFromProject,
} from '../../projects/projects.js';
import type { JobsTable } from '../../store/schema.js';
import { requireUser } from '../auth.js';
import { DatasetSchema, datasetJson, errors, Id, Name, NoContent } from '../schemas.js';
import type { TypedApp } from '../server.js';

const ProjectSchema = Type.Object({ id: Type.String(), orgId: Type.String(), name: Type.String() });
const JobSchema = Type.Object({
  id: Type.String(),
  status: Type.Union([Type.Literal('queued'), Type.Literal('running'), Type.Literal('succeeded'), Type.Literal('failed')]),
  done: Type.Integer(),
  total: Type.Integer(),
  datasetId: Type.Optional(Type.String()),
  sourceDatasetId: Type.String(),
  error: Type.Optional(Type.String()),
  createdAt: Type.String(),
});

function jobJson(job: JobsTable) {
  return {
    id: job.id,
    status: job.status,
    done: Number(job.done),
    total: Number(job.total),
    ...(job.result_dataset_id ? { datasetId: job.result_dataset_id } : {}),
    sourceDatasetId: job.source_dataset_id,
    ...(job.error ? { error: job.error } : {}),
    createdAt: iso(job.created_at),
  };
}

export function projectRoutes(app: TypedApp, ctx: Context): void {
  app.post(
    '/orgs/:orgId/projects',
    {
      schema: {
        tags: ['projects'],
        summary: 'Create a project (any member)',
        params: Type.Object({ orgId: Id }),
        body: Type.Object({ name: Name }),
        response: { 201: ProjectSchema, ...errors(400, 401, 404) },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await createProject(ctx, requireUser(request).id, request.params.orgId, request.body.name)),
  );

  app.get(
    '/orgs/:orgId/projects',
    {
      schema: {
        tags: ['projects'],
        summary: "The organization's projects",
        params: Type.Object({ orgId: Id }),
        response: { 200: Type.Object({ items: Type.Array(ProjectSchema), nextCursor: Type.Null() }), ...errors(401, 404) },
      },
    },
    async (request) => ({ items: await listProjects(ctx, requireUser(request).id, request.params.orgId), nextCursor: null }),
  );

  app.get(
    '/projects/:id',
    {
      schema: {
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
      const project = await getProject(ctx, requireUser(request).id, request.params.id);
      return { ...project, datasets: project.datasets.map((d) => datasetJson(d.dataset, d.level)) };
    },
  );

  app.put(
    '/projects/:id/datasets/:datasetId',
    {
      schema: {
        tags: ['projects'],
        summary: 'Add a dataset I can read to the project',
        params: Type.Object({ id: Id, datasetId: Id }),
        response: { 204: NoContent, ...errors(401, 404) },
      },
    },
    async (request, reply) => {
      await addDatasetToProject(ctx, requireUser(request).id, request.params.id, request.params.datasetId);
      return reply.code(204).send();
    },
  );

  app.delete(
    '/projects/:id/datasets/:datasetId',
    {
      schema: {
        tags: ['projects'],
        summary: 'Remove a dataset from the project',
        params: Type.Object({ id: Id, datasetId: Id }),
        response: { 204: NoContent, ...errors(401, 404) },
      },
    },
    async (request, reply) => {
      await removeDatasetFromProject(ctx, requireUser(request).id, request.params.id, request.params.datasetId);
      return reply.code(204).send();
    },
  );

  app.get(
    '/datasets/:id/projects',
    {
      schema: {
        tags: ['projects'],
        summary: 'The projects that hold this dataset',
        params: Type.Object({ id: Id }),
        response: { 200: Type.Object({ items: Type.Array(ProjectSchema), nextCursor: Type.Null() }), ...errors(401, 404) },
      },
    },
    async (request) => ({ items: await projectsOfDataset(ctx, requireUser(request).id, request.params.id), nextCursor: null }),
  );

  app.get(
    '/datasets/:id/lineage',
    {
      schema: {
        tags: ['processing'],
        summary: 'The dataset this one was made from and those made from it, as far as I can read them',
        params: Type.Object({ id: Id }),
        response: {
          200: Type.Object({ predecessor: Type.Union([DatasetSchema, Type.Null()]), successors: Type.Array(DatasetSchema) }),
          ...errors(401, 404),
        },
      },
    },
    async (request) => {
      const lineage = await lineageOf(ctx, requireUser(request).id, request.params.id);
      return {
        predecessor: lineage.predecessor ? datasetJson(lineage.predecessor.dataset, lineage.predecessor.level) : null,
        successors: lineage.successors.map((s) => datasetJson(s.dataset, s.level)),
      };
    },
  );

  app.post(
    '/datasets/:id/process',
    {
      schema: {
        tags: ['processing'],
        summary: 'Run a pipeline into a new dataset (write + processDatasets); 202 with a job when it runs in the background',
        params: Type.Object({ id: Id }),
        body: Type.Object({ pipeline: Type.Literal('dedupe'), carrySharing: Type.Optional(Type.Boolean()) }),
        response: { 201: DatasetSchema, 202: Type.Object({ job: JobSchema }), ...errors(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const outcome = await processDataset(ctx, requireUser(request).id, request.params.id, request.body);
      if (outcome.kind === 'done') return reply.code(201).send(datasetJson(outcome.dataset, 'admin'));
      return reply.code(202).send({ job: jobJson(outcome.job) });
    },
  );

  app.get(
    '/jobs/:id',
    {
      schema: {
        tags: ['processing'],
        summary: "A processing job's progress (whoever started it, org admins)",
        params: Type.Object({ id: Id }),
        response: { 200: JobSchema, ...errors(401, 404) },
      },
    },
    async (request) => jobJson(await getJob(ctx, requireUser(request).id, request.params.id)),
  );
}
