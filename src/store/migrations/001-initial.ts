import { type Kysely, sql } from 'kysely';
import type { MigrationContext } from './index.js';

/** Accounts, organizations, teams, datasets, grants, invitations and the audit log. */
export async function up(db: Kysely<unknown>, { dialect }: MigrationContext): Promise<void> {
  const time = 'bigint' as const;
  // Sort keys compare byte-wise on both databases so keyset pages are identical everywhere.
  const sortableText = dialect === 'postgres' ? sql`text collate "C"` : sql`text`;

  await db.schema
    .createTable('users')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('email', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', time, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('sessions')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('created_at', time, (c) => c.notNull())
    .addColumn('expires_at', time, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sessions_user').on('sessions').column('user_id').execute();

  await db.schema
    .createTable('access_tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', time, (c) => c.notNull())
    .addColumn('last_used_at', time)
    .execute();
  await db.schema.createIndex('access_tokens_user').on('access_tokens').column('user_id').execute();

  await db.schema
    .createTable('login_failures')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('window_start', time, (c) => c.notNull())
    .addColumn('failures', 'integer', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('orgs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', time, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('org_members')
    .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('process_datasets', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', time, (c) => c.notNull())
    .addPrimaryKeyConstraint('org_members_pk', ['org_id', 'user_id'])
    .execute();
  // Check: (org_id, user_id) is the primary key. Inventory: a user's orgs.
  await db.schema.createIndex('org_members_user').on('org_members').columns(['user_id', 'org_id', 'role']).execute();

  await db.schema
    .createTable('teams')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', time, (c) => c.notNull())
    .addUniqueConstraint('teams_org_name', ['org_id', 'name'])
    .execute();

  await db.schema
    .createTable('team_members')
    .addColumn('team_id', 'text', (c) => c.notNull().references('teams.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('created_at', time, (c) => c.notNull())
    .addPrimaryKeyConstraint('team_members_pk', ['team_id', 'user_id'])
    .execute();
  await db.schema.createIndex('team_members_user').on('team_members').columns(['user_id', 'team_id']).execute();

  await db.schema
    .createTable('datasets')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    // lower(name), computed in the application so both databases order and search it alike.
    .addColumn('name_key', sortableText, (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('visibility', 'text', (c) => c.notNull())
    .addColumn('predecessor_id', 'text')
    .addColumn('item_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', time, (c) => c.notNull())
    .addColumn('updated_at', time, (c) => c.notNull())
    .execute();
  // Inventory, org paths: an org's datasets of a tier in keyset order.
  await db.schema.createIndex('datasets_org_visibility_name').on('datasets').columns(['org_id', 'visibility', 'name_key', 'id']).execute();
  await db.schema.createIndex('datasets_org_name').on('datasets').columns(['org_id', 'name_key', 'id']).execute();
  await db.schema.createIndex('datasets_predecessor').on('datasets').column('predecessor_id').execute();

  await db.schema
    .createTable('user_grants')
    .addColumn('dataset_id', 'text', (c) => c.notNull().references('datasets.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('level', 'integer', (c) => c.notNull())
    .addColumn('expires_at', time)
    .addColumn('granted_by', 'text')
    .addColumn('created_at', time, (c) => c.notNull())
    .addColumn('last_used_at', time)
    .addPrimaryKeyConstraint('user_grants_pk', ['dataset_id', 'user_id'])
    .execute();
  // Check: primary key (dataset_id, user_id). Inventory: a user's direct grants.
  await db.schema.createIndex('user_grants_user').on('user_grants').columns(['user_id', 'dataset_id']).execute();

  await db.schema
    .createTable('team_grants')
    .addColumn('dataset_id', 'text', (c) => c.notNull().references('datasets.id').onDelete('cascade'))
    .addColumn('team_id', 'text', (c) => c.notNull().references('teams.id').onDelete('cascade'))
    .addColumn('level', 'integer', (c) => c.notNull())
    .addColumn('expires_at', time)
    .addColumn('granted_by', 'text')
    .addColumn('created_at', time, (c) => c.notNull())
    .addPrimaryKeyConstraint('team_grants_pk', ['dataset_id', 'team_id'])
    .execute();
  // Inventory: the datasets a team holds grants on.
  await db.schema.createIndex('team_grants_team').on('team_grants').columns(['team_id', 'dataset_id']).execute();

  await db.schema
    .createTable('invitations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('dataset_id', 'text', (c) => c.references('datasets.id').onDelete('cascade'))
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('level', 'integer')
    .addColumn('role', 'text')
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('expires_at', time, (c) => c.notNull())
    .addColumn('invited_by', 'text', (c) => c.notNull())
    .addColumn('created_at', time, (c) => c.notNull())
    .addColumn('accepted_at', time)
    .addColumn('accepted_by', 'text')
    .addColumn('delivery', 'text', (c) => c.notNull())
    .addColumn('last_error', 'text')
    .execute();
  await db.schema.createIndex('invitations_dataset').on('invitations').columns(['dataset_id', 'email']).execute();
  await db.schema.createIndex('invitations_org').on('invitations').columns(['org_id', 'kind', 'email']).execute();

  await db.schema
    .createTable('password_resets')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('expires_at', time, (c) => c.notNull())
    .addColumn('used_at', time)
    .addColumn('created_at', time, (c) => c.notNull())
    .execute();

  // No foreign keys: events outlive the datasets, teams and members they describe.
  await db.schema
    .createTable('audit_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull())
    .addColumn('at', time, (c) => c.notNull())
    .addColumn('actor_id', 'text')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('dataset_id', 'text')
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('before', 'text')
    .addColumn('after', 'text')
    .execute();
  await db.schema.createIndex('audit_events_org').on('audit_events').columns(['org_id', 'at', 'id']).execute();
  // Invitation rate limit: what one inviter sent in the last hour.
  await db.schema.createIndex('audit_events_actor').on('audit_events').columns(['actor_id', 'action', 'at']).execute();
  await db.schema.createIndex('audit_events_dataset').on('audit_events').columns(['org_id', 'dataset_id', 'at', 'id']).execute();
}
