import { sql } from 'kysely';
import type { Logger } from 'pino';
import { type Clock, systemClock } from '../clock.js';
import type { Context } from '../context.js';
import { Wakeup } from '../outbox/wakeup.js';
import { newId } from '../secrets.js';
import type { Store } from '../store/database.js';
import { claimJob, nextJobDueAt, releaseJobs, renewJobLease } from '../store/jobs.js';
import type { DatasetsTable, JobsTable } from '../store/schema.js';
import { runDedupeJob } from './dedupe.js';
import { failJob, JobLost } from './jobs.js';

export const JOBS_CHANNEL = 'tessera_jobs';

export interface JobRunnerOptions {
  /** Who claims jobs: an id from the app instance's random source (one of its own when not given). */
  instanceId?: string;
  /** Leases keep their own time (real time unless a test injects one). */
  clock?: Clock;
  /** How long a claim holds without a heartbeat: a job whose instance died is picked up again after this. */
  leaseMs?: number;
  /** The slow poll behind LISTEN/NOTIFY, and the longest sleep on SQLite. */
  pollMs?: number;
  /** Jobs one instance runs at once. */
  concurrency?: number;
}

export interface StartedJob {
  job: JobsTable;
  result: Promise<DatasetsTable>;
}

/**
 * Runs processing jobs on whichever instance is alive. A job is claimed for a lease that its
 * runner renews as a heartbeat (and with every progress report); when the instance dies the lease
 * runs out and another instance starts the job again from the beginning. Only the holder of the
 * lease can commit the result (finishJob), so it is committed once.
 */
export class JobRunner {
  readonly instanceId: string;
  private readonly clock: Clock;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly concurrency: number;
  private readonly running = new Map<string, Promise<unknown>>();
  private ctx: Context | null = null;
  private active = false;
  private loop: Promise<void> | null = null;
  private readonly wakeup = new Wakeup();
  private unlisten: (() => Promise<void>) | null = null;

  constructor(
    private readonly store: Store,
    private readonly logger: Logger,
    options: JobRunnerOptions = {},
  ) {
    this.instanceId = options.instanceId ?? newId('inst');
    this.clock = options.clock ?? systemClock;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.pollMs = options.pollMs ?? (store.dialect === 'postgres' ? 15_000 : 5_000);
    this.concurrency = options.concurrency ?? 2;
  }

  leaseUntil(): number {
    return this.clock.now() + this.leaseMs;
  }

  async start(ctx: Context): Promise<void> {
    if (this.active) return;
    this.ctx = ctx;
    this.active = true;
    if (this.store.listen) this.unlisten = await this.store.listen(JOBS_CHANNEL, () => this.wake());
    this.loop = this.run();
  }

  /** Tells every instance a job is waiting (NOTIFY on PostgreSQL). */
  private async announce(): Promise<void> {
    if (this.store.dialect === 'postgres') await sql`select pg_notify(${JOBS_CHANNEL}, 'job')`.execute(this.store.db);
    else this.wake();
  }

  wake(): void {
    this.wakeup.wake();
  }

  /** Claims the named job here and now, if nobody holds it; null when another instance does or this one is stopping. */
  async runNow(jobId: string): Promise<StartedJob | null> {
    if (!this.active) return null;
    const job = await claimJob(this.store, { jobId, claimer: this.instanceId, now: this.clock.now(), leaseUntil: this.leaseUntil() });
    return job ? { job, result: this.execute(job) } : null;
  }

  /** Claims and runs one due job, if any (the loop, and tests); resolves once it is claimed. */
  async runDue(): Promise<StartedJob | null> {
    if (!this.ctx || this.running.size >= this.concurrency) return null;
    const job = await claimJob(this.store, { claimer: this.instanceId, now: this.clock.now(), leaseUntil: this.leaseUntil() });
    return job ? { job, result: this.execute(job) } : null;
  }

  private execute(job: JobsTable): Promise<DatasetsTable> {
    const ctx = this.ctx!;
    const heartbeat = setInterval(() => {
      renewJobLease(this.store.db, job.id, this.instanceId, this.leaseUntil()).catch(() => undefined);
    }, this.leaseMs / 3);
    const work = runDedupeJob(ctx, job)
      .catch(async (error: unknown) => {
        if (!(error instanceof JobLost)) await failJob(ctx, job, error);
        throw error;
      })
      .finally(() => {
        clearInterval(heartbeat);
        this.running.delete(job.id);
        this.wake();
      });
    this.running.set(
      job.id,
      work.catch(() => undefined),
    );
    return work;
  }

  private async run(): Promise<void> {
    while (this.active) {
      this.wakeup.reset();
      let started: StartedJob | null = null;
      try {
        started = await this.runDue();
      } catch (error) {
        this.logger.error({ err: error }, 'the job queue could not be read');
      }
      if (started) {
        started.result.catch(() => undefined);
        continue;
      }
      if (!this.active) break;
      await this.wakeup.sleep(await this.sleepMs());
    }
  }

  /** Until the next job may be claimed (a queued one, or a lease running out), at most the slow poll. */
  private async sleepMs(): Promise<number> {
    if (this.running.size >= this.concurrency) return this.pollMs;
    const due = await nextJobDueAt(this.store.db).catch(() => null);
    if (due === null) return this.pollMs;
    return Math.max(50, Math.min(this.pollMs, due - this.clock.now() + 1));
  }

  /** Resolves once no job is queued or running here and none is due (tests). */
  async drain(): Promise<void> {
    for (;;) {
      await Promise.allSettled([...this.running.values()]);
      const started = await this.runDue();
      if (started) await started.result.catch(() => undefined);
      else if (this.running.size === 0) return;
    }
  }

  /**
   * Stops taking jobs; jobs under way get up to `graceMs` to finish. The rest go back to the queue
   * and their work here stops at its next step (its lease is no longer this instance's).
   */
  async stop(graceMs: number): Promise<void> {
    this.active = false;
    this.wakeup.interrupt();
    await this.unlisten?.();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([this.loop, ...this.running.values()]),
      new Promise((resolve) => {
        timer = setTimeout(resolve, graceMs);
      }),
    ]);
    clearTimeout(timer);
    try {
      await releaseJobs(this.store.db, this.instanceId);
      await this.announce();
    } catch (error) {
      this.logger.error({ err: error }, 'could not release jobs');
    }
  }
}
