import { authorizeDatasetAction } from '../access/authorize.js';
import type { DatasetAction } from '../access/policy.js';
import type { Actor } from '../access/scope.js';
import { iso } from '../clock.js';
import { type Context, inTransaction } from '../context.js';
import { Conflict, InvalidRequest, NotFound } from '../errors.js';
import {
  annotationPage,
  deleteAnnotationRow,
  findAnnotation,
  findItem,
  findLayer,
  insertAnnotation,
  insertLayer,
  layersOfDataset,
  updateAnnotationRow,
} from '../store/content.js';
import type { Db } from '../store/database.js';
import { type Page, pageOf } from '../store/pagination.js';
import type { AnnotationsTable, LayersTable } from '../store/schema.js';

export type Box = [number, number, number, number];

export interface LayerView {
  id: string;
  name: string;
  annotationCount: number;
  createdAt: string;
}

export interface AnnotationView {
  id: string;
  layerId: string;
  itemId: string;
  label: string;
  bbox: Box | null;
  createdBy: string | null;
  createdAt: string;
  updatedBy: string | null;
  updatedAt: string;
}

function annotationView(row: AnnotationsTable): AnnotationView {
  return {
    id: row.id,
    layerId: row.layer_id,
    itemId: row.item_id,
    label: row.label,
    bbox: row.bbox === null ? null : (JSON.parse(row.bbox) as Box),
    createdBy: row.created_by,
    createdAt: iso(row.created_at),
    updatedBy: row.updated_by,
    updatedAt: iso(row.updated_at),
  };
}

function requireLabel(raw: string): string {
  const label = raw.trim();
  if (!label) throw new InvalidRequest('The label cannot be empty.', { field: 'label' });
  return label;
}

function requireBox(bbox: number[] | null | undefined): string | null {
  if (bbox === undefined || bbox === null) return null;
  if (bbox.length !== 4 || bbox.some((n) => !Number.isFinite(n) || n < 0)) {
    throw new InvalidRequest('bbox is [x, y, width, height] with no negative numbers.', { field: 'bbox' });
  }
  return JSON.stringify(bbox);
}

/** A layer of a dataset the user may take `action` on; a layer they cannot see is not found. */
async function authorizedLayer(ctx: Context, db: Db, actor: Actor, layerId: string, action: DatasetAction): Promise<LayersTable> {
  const layer = await findLayer(db, layerId);
  if (!layer) throw new NotFound('Layer');
  try {
    await authorizeDatasetAction(db, actor, layer.dataset_id, action, ctx.clock.now());
  } catch (error) {
    if (error instanceof NotFound) throw new NotFound('Layer');
    throw error;
  }
  return layer;
}

export async function createLayer(ctx: Context, actor: Actor, datasetId: string, rawName: string): Promise<LayerView> {
  return inTransaction(ctx, async (tx) => {
    await authorizeDatasetAction(tx, actor, datasetId, 'dataset.createLayer', ctx.clock.now());
    const name = rawName.trim();
    if (!name) throw new InvalidRequest('The layer name cannot be empty.', { field: 'name' });
    const row: LayersTable = { id: ctx.random.id('layer'), dataset_id: datasetId, name, created_by: actor.id, created_at: ctx.clock.now() };
    if (!(await insertLayer(tx, row))) {
      throw new Conflict('layer_name_taken', 'The dataset already has a layer with this name.');
    }
    return { id: row.id, name, annotationCount: 0, createdAt: iso(row.created_at) };
  });
}

export async function listLayers(ctx: Context, actor: Actor, datasetId: string): Promise<LayerView[]> {
  await authorizeDatasetAction(ctx.db, actor, datasetId, 'dataset.read', ctx.clock.now());
  const rows = await layersOfDataset(ctx.db, datasetId);
  return rows.map((r) => ({ id: r.id, name: r.name, annotationCount: Number(r.annotation_count ?? 0), createdAt: iso(r.created_at) }));
}

export async function createAnnotation(
  ctx: Context,
  actor: Actor,
  layerId: string,
  input: { itemId: string; label: string; bbox?: number[] | null | undefined },
): Promise<AnnotationView> {
  const actorId = actor.id;
  return inTransaction(ctx, async (tx) => {
    const layer = await authorizedLayer(ctx, tx, actor, layerId, 'dataset.annotate');
    const item = await findItem(tx, input.itemId);
    if (!item || item.dataset_id !== layer.dataset_id)
      throw new InvalidRequest('itemId must be an item of the same dataset as the layer.', { field: 'itemId' });
    const now = ctx.clock.now();
    const row: AnnotationsTable = {
      id: ctx.random.sortableId('ann', now),
      layer_id: layerId,
      item_id: input.itemId,
      label: requireLabel(input.label),
      bbox: requireBox(input.bbox),
      created_by: actorId,
      created_at: now,
      updated_by: actorId,
      updated_at: now,
    };
    await insertAnnotation(tx, row);
    return annotationView(row);
  });
}

export async function listAnnotations(
  ctx: Context,
  actor: Actor,
  layerId: string,
  page: { limit: number; cursor?: string | undefined; itemId?: string | undefined },
): Promise<Page<AnnotationView>> {
  await authorizedLayer(ctx, ctx.db, actor, layerId, 'dataset.read');
  const rows = await annotationPage(ctx.db, layerId, page);
  return pageOf(rows, page.limit, (r) => [r.id], annotationView);
}

async function authorizedAnnotation(ctx: Context, tx: Db, actor: Actor, annotationId: string): Promise<AnnotationsTable> {
  const row = await findAnnotation(tx, annotationId);
  if (!row) throw new NotFound('Annotation');
  try {
    await authorizedLayer(ctx, tx, actor, row.layer_id, 'dataset.annotate');
  } catch (error) {
    if (error instanceof NotFound) throw new NotFound('Annotation');
    throw error;
  }
  return row;
}

export async function updateAnnotation(
  ctx: Context,
  actor: Actor,
  annotationId: string,
  change: { label?: string | undefined; bbox?: number[] | null | undefined },
): Promise<AnnotationView> {
  const actorId = actor.id;
  return inTransaction(ctx, async (tx) => {
    const row = await authorizedAnnotation(ctx, tx, actor, annotationId);
    const next: AnnotationsTable = {
      ...row,
      label: change.label === undefined ? row.label : requireLabel(change.label),
      bbox: change.bbox === undefined ? row.bbox : requireBox(change.bbox),
      updated_by: actorId,
      updated_at: ctx.clock.now(),
    };
    await updateAnnotationRow(tx, annotationId, { label: next.label, bbox: next.bbox, updated_by: actorId, updated_at: next.updated_at });
    return annotationView(next);
  });
}

export async function deleteAnnotation(ctx: Context, actor: Actor, annotationId: string): Promise<void> {
  await inTransaction(ctx, async (tx) => {
    await authorizedAnnotation(ctx, tx, actor, annotationId);
    await deleteAnnotationRow(tx, annotationId);
  });
}
