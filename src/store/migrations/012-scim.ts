import type { Kysely } from 'kysely';

/**
 * SCIM provisioning: an organization's provisioning tokens (hashed; a revoked token keeps its
 * row so the audit log can still name it) and, per organization, the users its directory
 * provisioned, with the directory's externalId and whether the directory has them active.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const time = 'bigint' as const;
  await db.schema
    .createTable('scim_tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_by', 'text')
    .addColumn('created_at', time, (c) => c.notNull())
    .addColumn('last_used_at', time)
    .addColumn('revoked_at', time)
    .execute();
  await db.schema.createIndex('scim_tokens_org').on('scim_tokens').columns(['org_id', 'created_at']).execute();

  await db.schema
    .createTable('scim_users')
    .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('external_id', 'text')
    .addColumn('active', 'integer', (c) => c.notNull().defaultTo(1))
    /** 1 when this organization's directory created the account (then it may rename it). */
    .addColumn('created_account', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', time, (c) => c.notNull())
    .addPrimaryKeyConstraint('scim_users_pk', ['org_id', 'user_id'])
    .execute();
}
