import { type Kysely, sql } from 'kysely';
import type { MigrationContext } from './index.js';

/**
 * Work that must not be lost is a row first.
 *
 * `outbox`: one row per message to deliver (kind `mail` now; webhook deliveries later), written
 * in the transaction of the change that causes it and delivered by whichever instance is alive.
 * A claim is a lease (`lease_until`): when the claimer dies the row becomes due again.
 *
 * `jobs` gain a lease too, renewed by the running instance as its heartbeat, and the
 * parameters a job needs so that any instance can run it.
 */
export async function up(db: Kysely<unknown>, { dialect }: MigrationContext): Promise<void> {
  const bigint = dialect === 'postgres' ? 'bigint' : 'integer';
  await db.schema
    .createTable('outbox')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    // The rendered message (it may carry a link secret); cleared once delivered.
    .addColumn('payload', 'text')
    .addColumn('recipient', 'text', (c) => c.notNull())
    .addColumn('org_id', 'text')
    .addColumn('invitation_id', 'text')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', bigint, (c) => c.notNull())
    .addColumn('lease_until', bigint)
    .addColumn('claimed_by', 'text')
    .addColumn('last_error', 'text')
    .addColumn('created_at', bigint, (c) => c.notNull())
    .addColumn('finished_at', bigint)
    .execute();
  // The claim: due rows in order of due time.
  await db.schema.createIndex('outbox_due').on('outbox').columns(['status', 'next_attempt_at']).execute();
  await db.schema.createIndex('outbox_invitation').on('outbox').columns(['invitation_id']).execute();
  await db.schema.createIndex('outbox_org').on('outbox').columns(['org_id', 'status']).execute();

  await db.schema.alterTable('jobs').addColumn('lease_until', bigint).execute();
  await db.schema.alterTable('jobs').addColumn('claimed_by', 'text').execute();
  await db.schema
    .alterTable('jobs')
    .addColumn('carry_sharing', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.createIndex('jobs_due').on('jobs').columns(['status', 'lease_until']).execute();
  // Jobs left "running" by the previous version had no lease: they become due at once.
  await sql`update jobs set status = 'queued' where status = 'running'`.execute(db);
}
