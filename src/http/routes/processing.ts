import { type Static, Type } from 'typebox';
import { iso } from '../../clock.js';
import type { Context } from '../../context.js';
import { processDataset } from '../../processing/dedupe.js';
import { cancelJob, getJob } from '../../processing/jobs.js';
import { lineageOf } from '../../processing/lineage.js';
import type { JobsTable } from '../../store/schema.js';
import { requireActor } from '../auth.js';
import { DatasetSchema, datasetJson, errors, Id } from '../schemas.js';
import type { TypedApp } from '../server.js';

const tags = ['processing'];
const JobSchema = Type.Object(
  {
    id: Type.String(),
    status: Type.Union([Type.Literal('queued'), Type.Literal('running'), Type.Literal('succeeded'), Type.Literal('failed')]),
    done: Type.Integer(),
    total: Type.Integer(),
    datasetId: Type.Optional(Type.String()),
    sourceDatasetId: Type.String(),
    error: Type.Optional(Type.String()),
    createdAt: Type.String(),
  },
  { title: 'Job' },
);

function jobJson(job: JobsTable): Static<typeof JobSchema> {
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

export function processingRoutes(app: TypedApp, ctx: Context): void {
  app.post(
    '/datasets/:id/process',
    {
      schema: {
        operationId: 'processDataset',
        tags,
        summary: 'Run a pipeline into a new dataset (write + processDatasets); 202 with a job when it runs in the background',
        params: Type.Object({ id: Id }),
        body: Type.Object({ pipeline: Type.Literal('dedupe'), carrySharing: Type.Optional(Type.Boolean()) }),
        response: { 201: DatasetSchema, 202: Type.Object({ job: JobSchema }), ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const outcome = await processDataset(ctx, requireActor(request), request.params.id, request.body);
      if (outcome.kind === 'done') return reply.code(201).send(datasetJson(outcome.dataset, outcome.level, outcome.allowedActions));
      return reply.code(202).send({ job: jobJson(outcome.job) });
    },
  );

  app.get(
    '/jobs/:id',
    {
      schema: {
        operationId: 'getJob',
        tags,
        summary: "A processing job's progress (whoever started it, org admins)",
        params: Type.Object({ id: Id }),
        response: { 200: JobSchema, ...errors(401, 404) },
      },
    },
    async (request) => jobJson(await getJob(ctx, requireActor(request), request.params.id)),
  );

  app.post(
    '/jobs/:id/cancel',
    {
      schema: {
        operationId: 'cancelJob',
        tags,
        summary: 'Stop a queued or running job: it ends failed with the error "cancelled", creating nothing (whoever may see it)',
        params: Type.Object({ id: Id }),
        response: { 200: JobSchema, ...errors(401, 404, 409) },
      },
    },
    async (request) => jobJson(await cancelJob(ctx, requireActor(request), request.params.id)),
  );

  app.get(
    '/datasets/:id/lineage',
    {
      schema: {
        operationId: 'getLineage',
        tags,
        summary: 'The dataset this one was made from and those made from it, as far as I can read them',
        params: Type.Object({ id: Id }),
        response: {
          200: Type.Object({ predecessor: Type.Union([DatasetSchema, Type.Null()]), successors: Type.Array(DatasetSchema) }),
          ...errors(401, 404),
        },
      },
    },
    async (request) => {
      const lineage = await lineageOf(ctx, requireActor(request), request.params.id);
      return {
        predecessor: lineage.predecessor
          ? datasetJson(lineage.predecessor.dataset, lineage.predecessor.level, lineage.predecessor.allowedActions)
          : null,
        successors: lineage.successors.map((s) => datasetJson(s.dataset, s.level, s.allowedActions)),
      };
    },
  );
}
