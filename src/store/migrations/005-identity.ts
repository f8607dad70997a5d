import { type Kysely, sql } from 'kysely';

const TOKEN_GRACE_MS = 90 * 24 * 60 * 60 * 1000;

/**
 * Verified addresses, verification links, sessions with a public id, scoped tokens that end,
 * and per-caller-address request counters.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const time = 'bigint' as const;

  await db.schema
    .alterTable('users')
    .addColumn('email_verified', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  // Whoever redeemed an invitation sent to their address has already proved the mailbox.
  await sql`update users set email_verified = 1 where exists (
    select 1 from invitations i where i.accepted_by = users.id and i.email = users.email)`.execute(db);

  await db.schema
    .createTable('email_verifications')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('expires_at', time, (c) => c.notNull())
    .addColumn('used_at', time)
    .addColumn('created_at', time, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('email_verifications_user').on('email_verifications').column('user_id').execute();
  await db.schema.createIndex('password_resets_user').on('password_resets').column('user_id').execute();

  // A session's public id names it in lists and in DELETE /me/sessions/:id; the secret stays hashed.
  await db.schema.alterTable('sessions').addColumn('id', 'text').execute();
  await db.schema.alterTable('sessions').addColumn('user_agent', 'text').execute();
  await db.schema.alterTable('sessions').addColumn('last_used_at', time).execute();
  await sql`update sessions set id = 'ses_' || substr(token_hash, 1, 16), last_used_at = created_at`.execute(db);
  await db.schema.createIndex('sessions_id').on('sessions').column('id').unique().execute();

  // Tokens made before scopes act with the user's full level, and end 90 days from now.
  await db.schema
    .alterTable('access_tokens')
    .addColumn('scope', 'text', (c) => c.notNull().defaultTo('admin'))
    .execute();
  await db.schema.alterTable('access_tokens').addColumn('expires_at', time).execute();
  await sql`update access_tokens set expires_at = ${Date.now() + TOKEN_GRACE_MS}`.execute(db);

  // Failed logins move to rate_limits, counted per account and caller address.
  await db.schema.dropTable('login_failures').execute();
  await db.schema
    .createTable('rate_limits')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('window_start', time, (c) => c.notNull())
    .addColumn('hits', 'integer', (c) => c.notNull())
    .execute();
}
