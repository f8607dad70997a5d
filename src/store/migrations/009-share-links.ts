import type { Kysely } from 'kysely';

/** Share links: a named, capped, ending link to a dataset, and who redeemed it when. */
export async function up(db: Kysely<unknown>): Promise<void> {
  const time = 'bigint' as const;

  await db.schema
    .createTable('share_links')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('dataset_id', 'text', (c) => c.notNull().references('datasets.id').onDelete('cascade'))
    .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('level', 'integer', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('expires_at', time, (c) => c.notNull())
    .addColumn('max_uses', 'integer')
    .addColumn('uses', 'integer', (c) => c.notNull().defaultTo(0))
    // A JSON array of lower-cased domains; empty for any domain.
    .addColumn('allowed_domains', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('members_only', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', time, (c) => c.notNull())
    .addColumn('revoked_at', time)
    .addColumn('revoked_by', 'text')
    .execute();
  await db.schema.createIndex('share_links_dataset').on('share_links').columns(['dataset_id', 'created_at']).execute();

  await db.schema
    .createTable('share_link_redemptions')
    .addColumn('link_id', 'text', (c) => c.notNull().references('share_links.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('redeemed_at', time, (c) => c.notNull())
    // The level of the user's direct grant right after redeeming (a higher one is kept).
    .addColumn('level', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('share_link_redemptions_pk', ['link_id', 'user_id'])
    .execute();
}
