import { authorizeJobAction } from '../access/authorize.js';
import type { Actor } from '../access/scope.js';
import { type Context, inTransaction } from '../context.js';
import { Conflict, DomainError, NotFound } from '../errors.js';
import type { Db } from '../store/database.js';
import { cancelJobRow, findJob, insertJob, updateHeldJob } from '../store/jobs.js';
import type { JobsTable } from '../store/schema.js';

/** The job is no longer this runner's: cancelled, or taken over after its lease ran out. Its work stops. */
export class JobLost extends Error {
  constructor(readonly jobId: string) {
    super(`job ${jobId} is no longer held by this instance`);
  }
}

/** Queues a job; any live instance may run it (see runner.ts). */
export async function queueJob(
  ctx: Context,
  input: { kind: JobsTable['kind']; orgId: string; sourceDatasetId: string; startedBy: string; total: number; carrySharing: boolean },
): Promise<JobsTable> {
  const now = ctx.clock.now();
  const job: JobsTable = {
    id: ctx.random.id('job'),
    kind: input.kind,
    org_id: input.orgId,
    source_dataset_id: input.sourceDatasetId,
    started_by: input.startedBy,
    status: 'queued',
    done: 0,
    total: input.total,
    result_dataset_id: null,
    error: null,
    created_at: now,
    updated_at: now,
    lease_until: null,
    claimed_by: null,
    carry_sharing: input.carrySharing ? 1 : 0,
  };
  await insertJob(ctx.db, job);
  return job;
}

/** Progress persists, and renews the runner's lease; throws JobLost once the job is not this runner's. */
export async function reportProgress(ctx: Context, job: JobsTable, done: number): Promise<void> {
  const progress = { done: Math.min(done, job.total), updated_at: ctx.clock.now(), lease_until: ctx.jobs.leaseUntil() };
  if (!(await updateHeldJob(ctx.db, job, progress))) throw new JobLost(job.id);
}

/**
 * Call first in the transaction that commits the job's result: only the runner that still holds
 * the job can mark it succeeded, so the result lands once even if two runners raced (the loser's
 * transaction rolls back).
 */
export async function finishJob(tx: Db, job: JobsTable, resultDatasetId: string, now: number): Promise<void> {
  const succeeded = {
    status: 'succeeded' as const,
    done: job.total,
    result_dataset_id: resultDatasetId,
    updated_at: now,
    lease_until: null,
  };
  if (!(await updateHeldJob(tx, job, succeeded))) throw new JobLost(job.id);
}

export async function failJob(ctx: Context, job: JobsTable, error: unknown): Promise<void> {
  ctx.logger.error({ err: error, jobId: job.id }, 'job failed');
  // Only a domain error's message is meant for people; anything else stays in the log.
  const message = error instanceof DomainError ? error.message : 'Processing failed; nothing was created. Try again.';
  await updateHeldJob(ctx.db, job, { status: 'failed', error: message, updated_at: ctx.clock.now(), lease_until: null }).catch(
    (failure: unknown) => ctx.logger.error({ err: failure, jobId: job.id }, 'could not record a job failure'),
  );
}

async function visibleJob(db: Db, actor: Actor, jobId: string): Promise<JobsTable> {
  const job = await findJob(db, jobId);
  if (!job) throw new NotFound('Job');
  await authorizeJobAction(db, actor, job, 'job.read');
  return job;
}

/** A job is visible to whoever started it and to the admins of its organization; to others it does not exist. */
export async function getJob(ctx: Context, actor: Actor, jobId: string): Promise<JobsTable> {
  return visibleJob(ctx.db, actor, jobId);
}

/** Stops a queued or running job: it ends failed with the error `cancelled`, and nothing of it is committed. */
export async function cancelJob(ctx: Context, actor: Actor, jobId: string): Promise<JobsTable> {
  return inTransaction(ctx, async (tx) => {
    const job = await visibleJob(tx, actor, jobId);
    await authorizeJobAction(tx, actor, job, 'job.cancel');
    if (!(await cancelJobRow(tx, jobId, ctx.clock.now()))) throw new Conflict('job_finished', 'This job has already finished.');
    return (await findJob(tx, jobId))!;
  });
}
