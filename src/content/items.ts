import type { Readable } from 'node:stream';
import { authorizeDataset } from '../access/check.js';
import { iso } from '../clock.js';
import { type Context, inTransaction } from '../context.js';
import { InvalidRequest, NotFound } from '../errors.js';
import { newSortableId } from '../secrets.js';
import type { Db } from '../store/database.js';
import { decodeCursor, type Page, pageOf } from '../store/pagination.js';
import type { ItemsTable } from '../store/schema.js';
import { type StoredBlob, sniffContentType } from './blobs.js';

export interface ItemView {
  id: string;
  name: string;
  size: number;
  contentType: string;
  sha256: string;
  createdAt: string;
}

export function itemView(row: ItemsTable): ItemView {
  return {
    id: row.id,
    name: row.name,
    size: Number(row.size),
    contentType: row.content_type,
    sha256: row.sha256,
    createdAt: iso(row.created_at),
  };
}

export interface UploadedFile {
  filename: string;
  file: Readable;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is removed.
const UNSAFE_IN_HEADER = /[\u0000-\u001f"]/g;

function cleanName(raw: string): string {
  // Keep the last path segment only, and nothing that could break a header.
  const name = raw.split(/[\\/]/).pop()?.replace(UNSAFE_IN_HEADER, '').trim() ?? '';
  return name.slice(0, 255) || 'file';
}

/**
 * Stores every file of an upload, then records them all in one transaction: either every file
 * of the request becomes an item or none does. Blobs are in place before any row points to them.
 */
export async function uploadItems(
  ctx: Context,
  actorId: string,
  datasetId: string,
  files: AsyncIterable<UploadedFile>,
): Promise<ItemView[]> {
  await authorizeDataset(ctx.db, actorId, datasetId, 'write', ctx.clock.now());
  const stored: (StoredBlob & { name: string })[] = [];
  try {
    for await (const { filename, file } of files) {
      stored.push({ ...(await ctx.blobs.put(file, ctx.maxUploadBytes)), name: cleanName(filename) });
    }
  } catch (error) {
    await removeUnusedBlobs(
      ctx,
      stored.map((s) => s.sha256),
    );
    throw error;
  }
  if (stored.length === 0) throw new InvalidRequest('Send at least one file (multipart/form-data).');
  const now = ctx.clock.now();
  const rows: ItemsTable[] = stored.map((s) => ({
    id: newSortableId('item', now),
    dataset_id: datasetId,
    name: s.name,
    size: s.size,
    content_type: sniffContentType(s.head, s.name),
    sha256: s.sha256,
    created_by: actorId,
    created_at: now,
  }));
  try {
    await inTransaction(ctx, async (tx) => {
      await tx.insertInto('items').values(rows).execute();
      await tx
        .updateTable('datasets')
        .set((eb) => ({ item_count: eb('item_count', '+', rows.length), updated_at: now }))
        .where('id', '=', datasetId)
        .execute();
    });
  } catch (error) {
    await removeUnusedBlobs(
      ctx,
      rows.map((r) => r.sha256),
    );
    throw error;
  }
  return rows.map(itemView);
}

export async function listItems(
  ctx: Context,
  actorId: string,
  datasetId: string,
  page: { limit: number; cursor?: string | undefined },
): Promise<Page<ItemView>> {
  await authorizeDataset(ctx.db, actorId, datasetId, 'read', ctx.clock.now());
  let query = ctx.db.selectFrom('items').selectAll().where('dataset_id', '=', datasetId);
  if (page.cursor !== undefined) {
    const [after] = decodeCursor(page.cursor, ['string']) as [string];
    query = query.where('id', '>', after);
  }
  // Index items_dataset (dataset_id, id): ids sort by upload time.
  const rows = await query
    .orderBy('id')
    .limit(page.limit + 1)
    .execute();
  return pageOf(rows, page.limit, (r) => [r.id], itemView);
}

/** An item the user may read (read on its dataset); anything else is not found. */
export async function readableItem(ctx: Context, actorId: string, itemId: string): Promise<ItemsTable> {
  const item = await ctx.db.selectFrom('items').selectAll().where('id', '=', itemId).executeTakeFirst();
  if (!item) throw new NotFound('Item');
  try {
    await authorizeDataset(ctx.db, actorId, item.dataset_id, 'read', ctx.clock.now());
  } catch (error) {
    if (error instanceof NotFound) throw new NotFound('Item');
    throw error;
  }
  return item;
}

/** Deletes the files of blobs that no item uses any more (after the rows are gone). */
export async function removeUnusedBlobs(ctx: Context, sha256s: string[]): Promise<void> {
  const unique = [...new Set(sha256s)];
  if (unique.length === 0) return;
  const used = await ctx.db.selectFrom('items').select('sha256').distinct().where('sha256', 'in', unique).execute();
  const keep = new Set(used.map((u) => u.sha256));
  for (const sha of unique) if (!keep.has(sha)) await ctx.blobs.remove(sha);
}

export async function itemShas(db: Db, datasetId: string): Promise<string[]> {
  const rows = await db.selectFrom('items').select('sha256').distinct().where('dataset_id', '=', datasetId).execute();
  return rows.map((r) => r.sha256);
}
