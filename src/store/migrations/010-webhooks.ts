import type { Kysely } from 'kysely';
import type { MigrationContext } from './index.js';

/**
 * Signed webhooks of every audit event.
 *
 * `webhooks`: an organization's HTTPS endpoints and the event types they receive (JSON array,
 * `["*"]` for all). The signing secret is kept as issued (HMAC needs it, unlike a password); it
 * is shown once and never returned or logged again. After a rotation the previous secret signs
 * too until `previous_secret_until`. `failing_since`: the first failed attempt since the last
 * delivered one; after a day of failures the webhook is disabled (`disabled_at`).
 *
 * Deliveries are outbox rows of kind `webhook` (recipient = the webhook's id), written in the
 * transaction of the event; they gain the event type and the last answer's status for the log.
 */
export async function up(db: Kysely<unknown>, { dialect }: MigrationContext): Promise<void> {
  const bigint = dialect === 'postgres' ? 'bigint' : 'integer';
  await db.schema
    .createTable('webhooks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('events', 'text', (c) => c.notNull())
    .addColumn('secret', 'text', (c) => c.notNull())
    .addColumn('previous_secret', 'text')
    .addColumn('previous_secret_until', bigint)
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('failing_since', bigint)
    .addColumn('disabled_at', bigint)
    .addColumn('created_by', 'text')
    .addColumn('created_at', bigint, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('webhooks_org').on('webhooks').columns(['org_id', 'enabled']).execute();

  await db.schema.alterTable('outbox').addColumn('event_type', 'text').execute();
  await db.schema.alterTable('outbox').addColumn('response_status', 'integer').execute();
  // The delivery log of one webhook, newest first.
  await db.schema.createIndex('outbox_recipient').on('outbox').columns(['kind', 'recipient', 'created_at']).execute();
}
