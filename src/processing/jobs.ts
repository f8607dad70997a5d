import { membershipOf } from '../access/org.js';
import type { Context } from '../context.js';
import { DomainError, NotFound } from '../errors.js';
import { newId } from '../secrets.js';
import type { Db } from '../store/database.js';
import type { JobsTable } from '../store/schema.js';

export type JobOutcome<T> = { kind: 'done'; result: T } | { kind: 'running'; job: JobsTable };

// A job whose instance stopped mid-way stops reporting; after this long it is shown as failed.
const STALE_MS = 10 * 60 * 1000;

export async function startJob(
  ctx: Context,
  input: { kind: JobsTable['kind']; orgId: string; sourceDatasetId: string; startedBy: string; total: number },
): Promise<JobsTable> {
  const now = ctx.clock.now();
  const job: JobsTable = {
    id: newId('job'),
    kind: input.kind,
    org_id: input.orgId,
    source_dataset_id: input.sourceDatasetId,
    started_by: input.startedBy,
    status: 'running',
    done: 0,
    total: input.total,
    result_dataset_id: null,
    error: null,
    created_at: now,
    updated_at: now,
    lease_until: null,
    claimed_by: null,
    carry_sharing: 0,
  };
  await ctx.db.insertInto('jobs').values(job).execute();
  return job;
}

export async function reportProgress(ctx: Context, job: JobsTable, done: number): Promise<void> {
  await ctx.db
    .updateTable('jobs')
    .set({ done: Math.min(done, job.total), updated_at: ctx.clock.now() })
    .where('id', '=', job.id)
    .execute();
}

/** Call inside the transaction that commits the job's result, so "succeeded" and the result land together. */
export async function finishJob(tx: Db, job: JobsTable, resultDatasetId: string, now: number): Promise<void> {
  await tx
    .updateTable('jobs')
    .set({ status: 'succeeded', done: job.total, result_dataset_id: resultDatasetId, updated_at: now })
    .where('id', '=', job.id)
    .execute();
}

async function failJob(ctx: Context, job: JobsTable, error: unknown): Promise<void> {
  ctx.logger.error({ err: error, jobId: job.id }, 'job failed');
  // Only a domain error's message is meant for people; anything else stays in the log.
  const message = error instanceof DomainError ? error.message : 'Processing failed; nothing was created. Try again.';
  await ctx.db
    .updateTable('jobs')
    .set({ status: 'failed', error: message, updated_at: ctx.clock.now() })
    .where('id', '=', job.id)
    .execute()
    .catch((failure: unknown) => ctx.logger.error({ err: failure, jobId: job.id }, 'could not record a job failure'));
}

/**
 * Runs a job's work. The caller gets the result when the job is small (at most
 * `processInlineLimit` items) and finishes within `processInlineWaitMs`; otherwise the work goes
 * on in the background and the caller gets the job as it stands, to follow its progress.
 */
export async function runJob<T>(ctx: Context, job: JobsTable, work: () => Promise<T>): Promise<JobOutcome<T>> {
  const run = work().catch(async (error: unknown) => {
    await failJob(ctx, job, error);
    throw error;
  });
  // In the background a failure is recorded on the job; nobody awaits the promise.
  run.catch(() => {});
  if (job.total > ctx.processInlineLimit) return { kind: 'running', job };
  let timer: NodeJS.Timeout | undefined;
  const waited = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), ctx.processInlineWaitMs);
  });
  try {
    const finished = await Promise.race([run.then((result) => ({ result })), waited]);
    if (finished) return { kind: 'done', result: finished.result };
  } finally {
    clearTimeout(timer);
  }
  const current = await ctx.db.selectFrom('jobs').selectAll().where('id', '=', job.id).executeTakeFirst();
  return { kind: 'running', job: current ?? job };
}

/** A job is visible to whoever started it and to the admins of its organization; to others it does not exist. */
export async function getJob(ctx: Context, actorId: string, jobId: string): Promise<JobsTable> {
  const job = await ctx.db.selectFrom('jobs').selectAll().where('id', '=', jobId).executeTakeFirst();
  if (!job) throw new NotFound('Job');
  if (job.started_by !== actorId) {
    const membership = await membershipOf(ctx.db, actorId, job.org_id);
    if (membership?.role !== 'admin') throw new NotFound('Job');
  }
  if (job.status === 'running' && job.updated_at < ctx.clock.now() - STALE_MS) {
    return { ...job, status: 'failed', error: 'Processing was interrupted; nothing was created. Try again.' };
  }
  return job;
}
