import { authorizeDataset, checkAccess } from '../access/check.js';
import { datasetNameKey } from '../access/inventory.js';
import { membershipOf } from '../access/org.js';
import { recordEvent } from '../audit/record.js';
import { type Context, inTransaction } from '../context.js';
import { grantCreatorAdmin } from '../datasets/datasets.js';
import { Forbidden, NotFound } from '../errors.js';
import { newId, newSortableId } from '../secrets.js';
import type { Db } from '../store/database.js';
import type { AnnotationsTable, DatasetsTable, ItemsTable, JobsTable, LayersTable } from '../store/schema.js';

const PAGE = 500;

export type ProcessOutcome = { kind: 'done'; dataset: DatasetsTable } | { kind: 'running'; job: JobsTable };

async function setJob(db: Db, id: string, change: Partial<JobsTable>): Promise<void> {
  await db.updateTable('jobs').set(change).where('id', '=', id).execute();
}

async function insertChunked<T extends 'items' | 'layers' | 'annotations'>(
  tx: Db,
  table: T,
  rows: (ItemsTable | LayersTable | AnnotationsTable)[],
) {
  for (let i = 0; i < rows.length; i += PAGE)
    await tx
      .insertInto(table)
      .values(rows.slice(i, i + PAGE) as never)
      .execute();
}

/**
 * Plans the deduplicated copy page by page (reporting progress), then writes it in one
 * transaction: a failure leaves no half-made dataset behind.
 */
async function runDedupe(
  ctx: Context,
  job: JobsTable,
  source: DatasetsTable,
  actorId: string,
  carrySharing: boolean,
): Promise<DatasetsTable> {
  const kept = new Map<string, ItemsTable>();
  let after = '';
  for (;;) {
    const page = await ctx.db
      .selectFrom('items')
      .selectAll()
      .where('dataset_id', '=', source.id)
      .where('id', '>', after)
      .orderBy('id')
      .limit(PAGE)
      .execute();
    if (page.length === 0) break;
    for (const item of page) if (!kept.has(item.sha256)) kept.set(item.sha256, item);
    after = page[page.length - 1]!.id;
    job.done += page.length;
    await setJob(ctx.db, job.id, { done: job.done, updated_at: ctx.clock.now() });
  }
  const layers = await ctx.db.selectFrom('layers').selectAll().where('dataset_id', '=', source.id).execute();
  const keptItems = [...kept.values()];
  const annotations: AnnotationsTable[] = [];
  for (let i = 0; i < keptItems.length; i += PAGE) {
    const ids = keptItems.slice(i, i + PAGE).map((k) => k.id);
    annotations.push(...(await ctx.db.selectFrom('annotations').selectAll().where('item_id', 'in', ids).execute()));
  }

  const now = ctx.clock.now();
  const name = `${source.name} (deduplicated)`;
  const dataset: DatasetsTable = {
    id: newId('ds'),
    org_id: source.org_id,
    name,
    name_key: datasetNameKey(name),
    description: source.description,
    visibility: carrySharing ? source.visibility : 'admins',
    predecessor_id: source.id,
    item_count: keptItems.length,
    created_at: now,
    updated_at: now,
  };
  const itemIds = new Map(keptItems.map((item) => [item.id, newSortableId('item', now)]));
  const layerIds = new Map(layers.map((layer) => [layer.id, newId('layer')]));
  await inTransaction(ctx, async (tx) => {
    await tx.insertInto('datasets').values(dataset).execute();
    await insertChunked(
      tx,
      'items',
      keptItems.map((item) => ({ ...item, id: itemIds.get(item.id)!, dataset_id: dataset.id })),
    );
    await insertChunked(
      tx,
      'layers',
      layers.map((layer) => ({ ...layer, id: layerIds.get(layer.id)!, dataset_id: dataset.id })),
    );
    await insertChunked(
      tx,
      'annotations',
      annotations.map((a) => ({
        ...a,
        id: newSortableId('ann', now),
        layer_id: layerIds.get(a.layer_id)!,
        item_id: itemIds.get(a.item_id)!,
      })),
    );
    if (carrySharing) {
      // Grants carry over as they stand; pending invitations never do.
      const users = await tx.selectFrom('user_grants').selectAll().where('dataset_id', '=', source.id).execute();
      if (users.length)
        await tx
          .insertInto('user_grants')
          .values(users.map((g) => ({ ...g, dataset_id: dataset.id, created_at: now, last_used_at: null })))
          .execute();
      const teams = await tx.selectFrom('team_grants').selectAll().where('dataset_id', '=', source.id).execute();
      if (teams.length)
        await tx
          .insertInto('team_grants')
          .values(teams.map((g) => ({ ...g, dataset_id: dataset.id, created_at: now, last_used_at: null })))
          .execute();
    }
    await grantCreatorAdmin(tx, dataset.id, actorId, now);
    const event = { orgId: source.org_id, at: now, actorId, datasetId: dataset.id, subject: `dataset:${dataset.id}` };
    await recordEvent(tx, {
      ...event,
      action: 'dataset.created',
      after: { name, visibility: dataset.visibility, predecessorId: source.id },
    });
    await recordEvent(tx, {
      ...event,
      action: 'dataset.processed',
      before: { datasetId: source.id, items: job.total },
      after: { pipeline: 'dedupe', items: keptItems.length, carrySharing },
    });
    await setJob(tx, job.id, { status: 'succeeded', done: job.total, result_dataset_id: dataset.id, updated_at: now });
  });
  return dataset;
}

/** Runs a pipeline: inline when the dataset is small, otherwise in the background as a job. */
export async function processDataset(
  ctx: Context,
  actorId: string,
  datasetId: string,
  input: { pipeline: 'dedupe'; carrySharing?: boolean | undefined },
): Promise<ProcessOutcome> {
  const { dataset: source } = await authorizeDataset(ctx.db, actorId, datasetId, 'write', ctx.clock.now());
  const membership = await membershipOf(ctx.db, actorId, source.org_id);
  if (!membership?.processDatasets)
    throw new Forbidden('Processing datasets needs the organization’s process-datasets permission. Ask an org admin.');
  const count = await ctx.db
    .selectFrom('items')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('dataset_id', '=', datasetId)
    .executeTakeFirstOrThrow();
  const now = ctx.clock.now();
  const job: JobsTable = {
    id: newId('job'),
    kind: 'dedupe',
    org_id: source.org_id,
    source_dataset_id: datasetId,
    started_by: actorId,
    status: 'running',
    done: 0,
    total: Number(count.n),
    result_dataset_id: null,
    error: null,
    created_at: now,
    updated_at: now,
  };
  await ctx.db.insertInto('jobs').values(job).execute();
  const run = runDedupe(ctx, job, source, actorId, input.carrySharing === true).catch(async (error: unknown) => {
    ctx.logger.error({ err: error, jobId: job.id }, 'processing failed');
    await setJob(ctx.db, job.id, {
      status: 'failed',
      error: 'Processing failed; nothing was created. Try again.',
      updated_at: ctx.clock.now(),
    });
    throw error;
  });
  if (job.total <= ctx.processInlineLimit) return { kind: 'done', dataset: await run };
  run.catch(() => {});
  return { kind: 'running', job };
}

// A job whose instance stopped mid-way stops reporting; after this long it is shown as failed.
const STALE_MS = 10 * 60 * 1000;

export async function getJob(ctx: Context, actorId: string, jobId: string): Promise<JobsTable> {
  const job = await ctx.db.selectFrom('jobs').selectAll().where('id', '=', jobId).executeTakeFirst();
  if (!job) throw new NotFound('Job');
  if (job.started_by !== actorId) {
    const membership = await membershipOf(ctx.db, actorId, job.org_id);
    if (membership?.role !== 'admin') throw new NotFound('Job');
  }
  if (job.status === 'running' && job.updated_at < ctx.clock.now() - STALE_MS) {
    return { ...job, status: 'failed', error: 'Processing was interrupted; nothing was created. Try again.' };
  }
  return job;
}

/** Where a dataset came from and what was made from it, as far as the viewer can read. */
export async function lineageOf(ctx: Context, actorId: string, datasetId: string) {
  const now = ctx.clock.now();
  const { dataset } = await authorizeDataset(ctx.db, actorId, datasetId, 'read', now);
  const readable = async (id: string) => checkAccess(ctx.db, actorId, id, now);
  const predecessor = dataset.predecessor_id ? await readable(dataset.predecessor_id) : null;
  const children = await ctx.db
    .selectFrom('datasets')
    .select('id')
    .where('predecessor_id', '=', datasetId)
    .orderBy('created_at')
    .orderBy('id')
    .limit(100)
    .execute();
  const successors = [];
  for (const child of children) {
    const access = await readable(child.id);
    if (access) successors.push(access);
  }
  return { predecessor, successors };
}
