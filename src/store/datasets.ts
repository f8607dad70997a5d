import type { Db } from './database.js';
import type { DatasetsTable } from './schema.js';

export type DatasetRecord = DatasetsTable;

export async function insertDataset(tx: Db, dataset: DatasetRecord): Promise<void> {
  await tx.insertInto('datasets').values(dataset).execute();
}

export async function findDataset(db: Db, datasetId: string): Promise<DatasetRecord | undefined> {
  return db.selectFrom('datasets').selectAll().where('id', '=', datasetId).executeTakeFirst();
}

export async function datasetExists(db: Db, datasetId: string): Promise<boolean> {
  return Boolean(await db.selectFrom('datasets').select('id').where('id', '=', datasetId).executeTakeFirst());
}

/** The dataset's name, if it still exists. */
export async function datasetName(db: Db, datasetId: string): Promise<{ name: string } | undefined> {
  return db.selectFrom('datasets').select('name').where('id', '=', datasetId).executeTakeFirst();
}

/** The tier and organization of a dataset known to exist. */
export async function datasetTier(db: Db, datasetId: string): Promise<Pick<DatasetRecord, 'visibility' | 'org_id'>> {
  return db.selectFrom('datasets').select(['visibility', 'org_id']).where('id', '=', datasetId).executeTakeFirstOrThrow();
}

/** The names of a dataset known to exist and of its organization. */
export async function datasetAndOrgNames(db: Db, datasetId: string): Promise<{ dataset_name: string; org_name: string }> {
  return db
    .selectFrom('datasets as d')
    .innerJoin('orgs as o', 'o.id', 'd.org_id')
    .select(['d.name as dataset_name', 'o.name as org_name'])
    .where('d.id', '=', datasetId)
    .executeTakeFirstOrThrow();
}

export async function updateDatasetRow(
  tx: Db,
  datasetId: string,
  set: Pick<DatasetRecord, 'name' | 'name_key' | 'description' | 'visibility' | 'updated_at'>,
): Promise<void> {
  await tx.updateTable('datasets').set(set).where('id', '=', datasetId).execute();
}

/** Counts newly added items into the dataset. */
export async function addToItemCount(tx: Db, datasetId: string, added: number, at: number): Promise<void> {
  await tx
    .updateTable('datasets')
    .set((eb) => ({ item_count: eb('item_count', '+', added), updated_at: at }))
    .where('id', '=', datasetId)
    .execute();
}

/** Deletes the dataset with its annotations, layers, items, project links, grants and invitations; its audit events stay. */
export async function deleteDatasetWithContents(tx: Db, datasetId: string): Promise<void> {
  await tx
    .deleteFrom('annotations')
    .where('layer_id', 'in', (eb) => eb.selectFrom('layers').select('id').where('dataset_id', '=', datasetId))
    .execute();
  await tx.deleteFrom('layers').where('dataset_id', '=', datasetId).execute();
  await tx.deleteFrom('items').where('dataset_id', '=', datasetId).execute();
  await tx.deleteFrom('project_datasets').where('dataset_id', '=', datasetId).execute();
  await tx.deleteFrom('user_grants').where('dataset_id', '=', datasetId).execute();
  await tx.deleteFrom('team_grants').where('dataset_id', '=', datasetId).execute();
  await tx.deleteFrom('invitations').where('dataset_id', '=', datasetId).execute();
  await tx.deleteFrom('datasets').where('id', '=', datasetId).execute();
}

/** The tier and organization of the dataset, if it still exists. */
export async function findDatasetTier(db: Db, datasetId: string): Promise<Pick<DatasetRecord, 'visibility' | 'org_id'> | undefined> {
  return db.selectFrom('datasets').select(['org_id', 'visibility']).where('id', '=', datasetId).executeTakeFirst();
}

/** The name of a dataset known to exist. */
export async function datasetNameOf(db: Db, datasetId: string): Promise<string> {
  const row = await db.selectFrom('datasets').select('name').where('id', '=', datasetId).executeTakeFirstOrThrow();
  return row.name;
}

/** The first hundred datasets made from this one, oldest first. Index datasets_predecessor. */
export async function successorIds(db: Db, datasetId: string): Promise<{ id: string }[]> {
  return db
    .selectFrom('datasets')
    .select('id')
    .where('predecessor_id', '=', datasetId)
    .orderBy('created_at')
    .orderBy('id')
    .limit(100)
    .execute();
}
