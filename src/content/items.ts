import type { Readable } from 'node:stream';
import { authorizeDatasetAction } from '../access/authorize.js';
import type { Actor } from '../access/scope.js';
import { iso } from '../clock.js';
import { type Context, inTransaction } from '../context.js';
import { InvalidRequest, NotFound } from '../errors.js';
import { findItem, insertItems, itemPage, shaInUse, shasInUse } from '../store/content.js';
import { addToItemCount } from '../store/datasets.js';
import { type Page, pageOf } from '../store/pagination.js';
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
const UNSAFE_IN_HEADER = /[\u0000-\u001f\u007f"]/g;

function cleanName(raw: string): string {
  // Keep the last path segment only, and nothing that could break a header.
  const name = raw.split(/[\\/]/).pop()?.replace(UNSAFE_IN_HEADER, '').trim() ?? '';
  return name.slice(0, 255) || 'file';
}

type NamedBlob = StoredBlob & { name: string };

/**
 * One transaction: every stored file of the request becomes an item, or none does. The upload
 * is authorized again inside it: a long upload must not outlive the access it started with.
 */
async function recordItems(ctx: Context, actor: Actor, datasetId: string, stored: NamedBlob[]): Promise<ItemsTable[]> {
  return inTransaction(ctx, async (tx) => {
    const now = ctx.clock.now();
    await authorizeDatasetAction(tx, actor, datasetId, 'dataset.upload', now);
    if (stored.length === 0) throw new InvalidRequest('Send at least one file (multipart/form-data).');
    const rows: ItemsTable[] = stored.map((s) => ({
      id: ctx.random.sortableId('item', now),
      dataset_id: datasetId,
      name: s.name,
      size: s.size,
      content_type: sniffContentType(s.head, s.name),
      sha256: s.sha256,
      created_by: actor.id,
      created_at: now,
    }));
    await insertItems(tx, rows);
    await addToItemCount(tx, datasetId, rows.length, now);
    return rows;
  });
}

/**
 * Stores every file of an upload, then records them all at once. Blobs are in place, and held,
 * before any row points to them; those of a refused upload go unless another item uses them.
 */
export async function uploadItems(ctx: Context, actor: Actor, datasetId: string, files: AsyncIterable<UploadedFile>): Promise<ItemView[]> {
  // Checked before any file is streamed, and again in the transaction that records them.
  await authorizeDatasetAction(ctx.db, actor, datasetId, 'dataset.upload', ctx.clock.now());
  const stored: NamedBlob[] = [];
  const release = async () => {
    for (const s of stored) await ctx.blobs.release(s.sha256);
  };
  let rows: ItemsTable[];
  try {
    for await (const { filename, file } of files) {
      stored.push({ ...(await ctx.blobs.put(file, ctx.maxUploadBytes)), name: cleanName(filename) });
    }
    rows = await recordItems(ctx, actor, datasetId, stored);
  } catch (error) {
    await release();
    await removeUnusedBlobs(
      ctx,
      stored.map((s) => s.sha256),
    );
    throw error;
  }
  await release();
  return rows.map(itemView);
}

export async function listItems(
  ctx: Context,
  actor: Actor,
  datasetId: string,
  page: { limit: number; cursor?: string | undefined },
): Promise<Page<ItemView>> {
  await authorizeDatasetAction(ctx.db, actor, datasetId, 'dataset.read', ctx.clock.now());
  const rows = await itemPage(ctx.db, datasetId, page);
  return pageOf(rows, page.limit, (r) => [r.id], itemView);
}

/** An item the user may read (read on its dataset); anything else is not found. */
export async function readableItem(ctx: Context, actor: Actor, itemId: string): Promise<ItemsTable> {
  const item = await findItem(ctx.db, itemId);
  if (!item) throw new NotFound('Item');
  try {
    await authorizeDatasetAction(ctx.db, actor, item.dataset_id, 'dataset.read', ctx.clock.now());
  } catch (error) {
    if (error instanceof NotFound) throw new NotFound('Item');
    throw error;
  }
  return item;
}

const SWEEP_CHUNK = 500;

/**
 * Deletes the files of blobs that no item uses any more (after their rows are gone). Each is
 * asked again under the blob's lock, so a file an upload is about to point to is never lost.
 */
export async function removeUnusedBlobs(ctx: Context, sha256s: string[]): Promise<void> {
  const unique = [...new Set(sha256s)];
  for (let i = 0; i < unique.length; i += SWEEP_CHUNK) {
    const chunk = unique.slice(i, i + SWEEP_CHUNK);
    const keep = await shasInUse(ctx.db, chunk);
    for (const sha256 of chunk) {
      if (keep.has(sha256)) continue;
      await ctx.blobs.removeUnlessUsed(sha256, () => shaInUse(ctx.db, sha256));
    }
  }
}
