import type { Db } from './database.js';
import { decodeCursor } from './pagination.js';
import type { AnnotationsTable, ItemsTable, LayersTable } from './schema.js';

export async function insertItems(tx: Db, rows: ItemsTable[]): Promise<void> {
  await tx.insertInto('items').values(rows).execute();
}

export async function findItem(db: Db, itemId: string): Promise<ItemsTable | undefined> {
  return db.selectFrom('items').selectAll().where('id', '=', itemId).executeTakeFirst();
}

/** One page of the dataset's items by id (upload order), one row past `limit` to tell whether more follow. */
export async function itemPage(db: Db, datasetId: string, page: { limit: number; cursor?: string | undefined }): Promise<ItemsTable[]> {
  let query = db.selectFrom('items').selectAll().where('dataset_id', '=', datasetId);
  if (page.cursor !== undefined) {
    const [after] = decodeCursor(page.cursor, ['string']) as [string];
    query = query.where('id', '>', after);
  }
  // Index items_dataset (dataset_id, id): ids sort by upload time.
  return query
    .orderBy('id')
    .limit(page.limit + 1)
    .execute();
}

/** The distinct files the dataset's items point to. */
export async function itemShas(db: Db, datasetId: string): Promise<string[]> {
  const rows = await db.selectFrom('items').select('sha256').distinct().where('dataset_id', '=', datasetId).execute();
  return rows.map((r) => r.sha256);
}

/** Which of these files some item still points to. Index items_sha256. */
export async function shasInUse(db: Db, sha256s: string[]): Promise<Set<string>> {
  const used = await db.selectFrom('items').select('sha256').distinct().where('sha256', 'in', sha256s).execute();
  return new Set(used.map((u) => u.sha256));
}

export async function shaInUse(db: Db, sha256: string): Promise<boolean> {
  return Boolean(await db.selectFrom('items').select('id').where('sha256', '=', sha256).limit(1).executeTakeFirst());
}

export async function findLayer(db: Db, layerId: string): Promise<LayersTable | undefined> {
  return db.selectFrom('layers').selectAll().where('id', '=', layerId).executeTakeFirst();
}

/** Adds the layer; false when the dataset already has a layer of that name. */
export async function insertLayer(db: Db, row: LayersTable): Promise<boolean> {
  const inserted = await db
    .insertInto('layers')
    .values(row)
    .onConflict((oc) => oc.columns(['dataset_id', 'name']).doNothing())
    .executeTakeFirst();
  return Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0;
}

/** The dataset's layers with their annotation counts, by name. */
export async function layersOfDataset(db: Db, datasetId: string) {
  return db
    .selectFrom('layers as l')
    .select((eb) => [
      'l.id',
      'l.name',
      'l.created_at',
      eb
        .selectFrom('annotations as a')
        .select((c) => c.fn.countAll<number>().as('n'))
        .whereRef('a.layer_id', '=', 'l.id')
        .as('annotation_count'),
    ])
    .where('l.dataset_id', '=', datasetId)
    .orderBy('l.name')
    .execute();
}

export async function findAnnotation(db: Db, annotationId: string): Promise<AnnotationsTable | undefined> {
  return db.selectFrom('annotations').selectAll().where('id', '=', annotationId).executeTakeFirst();
}

export async function insertAnnotation(db: Db, row: AnnotationsTable): Promise<void> {
  await db.insertInto('annotations').values(row).execute();
}

/** One page of the layer's annotations by id, optionally on one item, one row past `limit`. */
export async function annotationPage(
  db: Db,
  layerId: string,
  page: { limit: number; cursor?: string | undefined; itemId?: string | undefined },
): Promise<AnnotationsTable[]> {
  let query = db.selectFrom('annotations').selectAll().where('layer_id', '=', layerId);
  if (page.itemId !== undefined) query = query.where('item_id', '=', page.itemId);
  if (page.cursor !== undefined) {
    const [after] = decodeCursor(page.cursor, ['string']) as [string];
    query = query.where('id', '>', after);
  }
  return query
    .orderBy('id')
    .limit(page.limit + 1)
    .execute();
}

export async function updateAnnotationRow(
  db: Db,
  annotationId: string,
  set: Pick<AnnotationsTable, 'label' | 'bbox' | 'updated_by' | 'updated_at'>,
): Promise<void> {
  await db.updateTable('annotations').set(set).where('id', '=', annotationId).execute();
}

export async function deleteAnnotationRow(db: Db, annotationId: string): Promise<void> {
  await db.deleteFrom('annotations').where('id', '=', annotationId).execute();
}

/** Up to `limit` of the dataset's items past `after`, by id. Index items_dataset (dataset_id, id). */
export async function itemsAfter(db: Db, datasetId: string, after: string, limit: number): Promise<ItemsTable[]> {
  return db
    .selectFrom('items')
    .selectAll()
    .where('dataset_id', '=', datasetId)
    .where('id', '>', after)
    .orderBy('id')
    .limit(limit)
    .execute();
}

/** Every layer of the dataset, by id. */
export async function layerRowsOfDataset(db: Db, datasetId: string): Promise<LayersTable[]> {
  return db.selectFrom('layers').selectAll().where('dataset_id', '=', datasetId).orderBy('id').execute();
}

/** Every annotation on these items, by id. Index annotations_item. */
export async function annotationsOnItems(db: Db, itemIds: string[]): Promise<AnnotationsTable[]> {
  return db.selectFrom('annotations').selectAll().where('item_id', 'in', itemIds).orderBy('id').execute();
}

type ContentTables = { items: ItemsTable; layers: LayersTable; annotations: AnnotationsTable };

/** Inserts content rows `pageSize` a statement, which keeps within every driver's limit on parameters. */
export async function insertContentInPages<T extends keyof ContentTables>(
  tx: Db,
  table: T,
  rows: ContentTables[T][],
  pageSize: number,
): Promise<void> {
  for (let i = 0; i < rows.length; i += pageSize)
    await tx
      .insertInto(table)
      .values(rows.slice(i, i + pageSize) as never)
      .execute();
}

export async function itemCount(db: Db, datasetId: string): Promise<number> {
  const count = await db
    .selectFrom('items')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('dataset_id', '=', datasetId)
    .executeTakeFirstOrThrow();
  return Number(count.n);
}
