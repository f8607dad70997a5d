import { type Kysely, sql } from 'kysely';
import type { MigrationContext } from './index.js';

/** Items (files), annotation layers and annotations, projects, and processing jobs. */
export async function up(db: Kysely<unknown>, { dialect }: MigrationContext): Promise<void> {
  const time = 'bigint' as const;
  const sortableText = dialect === 'postgres' ? sql`text collate "C"` : sql`text`;

  await db.schema
    .createTable('items')
    .addColumn('id', sortableText, (c) => c.primaryKey())
    .addColumn('dataset_id', 'text', (c) => c.notNull().references('datasets.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .addColumn('created_at', time, (c) => c.notNull())
    .execute();
  // Keyset listing of a dataset's items; whether a blob is still used by any item.
  await db.schema.createIndex('items_dataset').on('items').columns(['dataset_id', 'id']).execute();
  await db.schema.createIndex('items_sha256').on('items').column('sha256').execute();

  await db.schema
    .createTable('layers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('dataset_id', 'text', (c) => c.notNull().references('datasets.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .addColumn('created_at', time, (c) => c.notNull())
    .addUniqueConstraint('layers_dataset_name', ['dataset_id', 'name'])
    .execute();

  await db.schema
    .createTable('annotations')
    .addColumn('id', sortableText, (c) => c.primaryKey())
    .addColumn('layer_id', 'text', (c) => c.notNull().references('layers.id').onDelete('cascade'))
    .addColumn('item_id', 'text', (c) => c.notNull().references('items.id').onDelete('cascade'))
    .addColumn('label', 'text', (c) => c.notNull())
    .addColumn('bbox', 'text')
    .addColumn('created_by', 'text')
    .addColumn('created_at', time, (c) => c.notNull())
    .addColumn('updated_by', 'text')
    .addColumn('updated_at', time, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('annotations_layer').on('annotations').columns(['layer_id', 'id']).execute();
  await db.schema.createIndex('annotations_item').on('annotations').column('item_id').execute();

  await db.schema
    .createTable('projects')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .addColumn('created_at', time, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('projects_org').on('projects').columns(['org_id', 'name']).execute();

  await db.schema
    .createTable('project_datasets')
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('dataset_id', 'text', (c) => c.notNull().references('datasets.id').onDelete('cascade'))
    .addColumn('added_by', 'text')
    .addColumn('added_at', time, (c) => c.notNull())
    .addPrimaryKeyConstraint('project_datasets_pk', ['project_id', 'dataset_id'])
    .execute();
  await db.schema.createIndex('project_datasets_dataset').on('project_datasets').column('dataset_id').execute();

  await db.schema
    .createTable('jobs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('org_id', 'text', (c) => c.notNull())
    .addColumn('source_dataset_id', 'text', (c) => c.notNull())
    .addColumn('started_by', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('done', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('total', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('result_dataset_id', 'text')
    .addColumn('error', 'text')
    .addColumn('created_at', time, (c) => c.notNull())
    .addColumn('updated_at', time, (c) => c.notNull())
    .execute();
}
