import { sql } from 'kysely';
import type { Db, Store } from './database.js';
import type { JobsTable } from './schema.js';

/**
 * Claims one job for `claimer` until `leaseUntil`: the one named, or else the oldest queued job or
 * one whose runner's lease ran out (its instance died). `FOR UPDATE SKIP LOCKED` on PostgreSQL lets
 * instances claim side by side, never the same job twice. Relies on index jobs_due.
 */
export async function claimJob(
  store: Store,
  input: { jobId?: string; claimer: string; now: number; leaseUntil: number },
): Promise<JobsTable | undefined> {
  const due = store.db
    .selectFrom('jobs')
    .select('id')
    .$if(input.jobId !== undefined, (qb) => qb.where('id', '=', input.jobId!))
    .where((eb) =>
      eb.or([
        eb('status', '=', 'queued'),
        eb.and([eb('status', '=', 'running'), eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', input.now)])]),
      ]),
    )
    .orderBy('created_at')
    .limit(1)
    .$if(store.dialect === 'postgres', (qb) => qb.forUpdate().skipLocked());
  return store.db
    .updateTable('jobs')
    .set({ status: 'running', claimed_by: input.claimer, lease_until: input.leaseUntil })
    .where('id', 'in', due)
    .returningAll()
    .executeTakeFirst();
}

/** The heartbeat of a running job; false when it is no longer this claimer's (cancelled, or taken over). */
export async function renewJobLease(db: Db, jobId: string, claimer: string, leaseUntil: number): Promise<boolean> {
  const result = await db
    .updateTable('jobs')
    .set({ lease_until: leaseUntil })
    .where('id', '=', jobId)
    .where('claimed_by', '=', claimer)
    .where('status', '=', 'running')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** At shutdown: this instance's unfinished jobs go back to the queue for whoever is alive. */
export async function releaseJobs(db: Db, claimer: string): Promise<void> {
  await db
    .updateTable('jobs')
    .set({ status: 'queued', claimed_by: null, lease_until: null })
    .where('claimed_by', '=', claimer)
    .where('status', '=', 'running')
    .execute();
}

/** Cancelling ends a queued or running job as failed; false when it had already ended. */
export async function cancelJobRow(db: Db, jobId: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable('jobs')
    .set({ status: 'failed', error: 'cancelled', lease_until: null, updated_at: now })
    .where('id', '=', jobId)
    .where('status', 'in', ['queued', 'running'])
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** When the next job may be claimed: now if one is queued, else when the first running job's lease runs out. */
export async function nextJobDueAt(db: Db): Promise<number | null> {
  const row = await db
    .selectFrom('jobs')
    .select(sql<number | null>`min(case when status = 'queued' then 0 else lease_until end)`.as('at'))
    .where('status', 'in', ['queued', 'running'])
    .executeTakeFirst();
  return row?.at == null ? null : Number(row.at);
}

export async function findJob(db: Db, jobId: string): Promise<JobsTable | undefined> {
  return db.selectFrom('jobs').selectAll().where('id', '=', jobId).executeTakeFirst();
}

export async function insertJob(db: Db, job: JobsTable): Promise<void> {
  await db.insertInto('jobs').values(job).execute();
}

type RunningJob = Pick<JobsTable, 'id' | 'claimed_by'>;

/**
 * Changes a job only while it is running for the claimer that holds it; false when it is no
 * longer theirs (cancelled, or taken over after the lease ran out).
 */
export async function updateHeldJob(
  db: Db,
  job: RunningJob,
  set: Partial<Pick<JobsTable, 'status' | 'done' | 'result_dataset_id' | 'error' | 'updated_at' | 'lease_until'>>,
): Promise<boolean> {
  const result = await db
    .updateTable('jobs')
    .set(set)
    .where('id', '=', job.id)
    .where('status', '=', 'running')
    .where('claimed_by', '=', job.claimed_by)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** How many jobs wait in the queue and how many run. */
export async function unfinishedJobCounts(db: Db): Promise<{ status: JobsTable['status']; n: number }[]> {
  return db
    .selectFrom('jobs')
    .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
    .where('status', 'in', ['queued', 'running'])
    .groupBy('status')
    .execute();
}
