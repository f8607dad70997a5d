import { authorizeDatasetAction, datasetActionsOf } from '../access/authorize.js';
import { checkAccess } from '../access/check.js';
import { datasetNameKey } from '../access/inventory.js';
import { type Level, levelOf, rankOf } from '../access/levels.js';
import type { DatasetAction } from '../access/policy.js';
import type { Actor } from '../access/scope.js';
import { recordEvent } from '../audit/record.js';
import { iso } from '../clock.js';
import { type Context, inTransaction } from '../context.js';
import { Conflict } from '../errors.js';
import type { Random } from '../secrets.js';
import { annotationsOnItems, insertContentInPages, itemCount, itemsAfter, layerRowsOfDataset } from '../store/content.js';
import type { Db } from '../store/database.js';
import { datasetExists, findDataset, insertDataset } from '../store/datasets.js';
import { insertTeamGrant, insertUserGrant, isInForce, teamGrantRowsOfDataset, userGrantRowsOfDataset } from '../store/grants.js';
import { findJob } from '../store/jobs.js';
import type { AnnotationsTable, DatasetsTable, ItemsTable, JobsTable, LayersTable } from '../store/schema.js';
import { finishJob, queueJob, reportProgress } from './jobs.js';
import { type StarterGrant, starterGrantAtCommit, starterLevel } from './starter.js';

const PAGE = 500;

export type ProcessOutcome =
  | { kind: 'done'; dataset: DatasetsTable; level: Level; allowedActions: DatasetAction[] }
  | { kind: 'running'; job: JobsTable };

/** What the deduplicated copy will hold: the first item of each distinct SHA-256, with its annotations. */
interface DedupePlan {
  items: ItemsTable[];
  layers: LayersTable[];
  annotations: AnnotationsTable[];
}

/**
 * Runs a pipeline on a dataset into a new one; needs write on it and the organization's
 * processDatasets capability (org admins have it).
 */
export async function processDataset(
  ctx: Context,
  actor: Actor,
  datasetId: string,
  input: { pipeline: 'dedupe'; carrySharing?: boolean | undefined },
): Promise<ProcessOutcome> {
  const { dataset: source } = await authorizeDatasetAction(ctx.db, actor, datasetId, 'dataset.process', ctx.clock.now());
  const job = await queueJob(ctx, {
    kind: 'dedupe',
    orgId: source.org_id,
    sourceDatasetId: datasetId,
    startedBy: actor.id,
    total: await itemCount(ctx.db, datasetId),
    carrySharing: input.carrySharing === true,
  });
  const outcome = await awaitSmallJob(ctx, job);
  if (outcome.kind === 'running') return outcome;
  // The reply says what a read of the new dataset would: the level processing gave the starter, under their token's cap.
  const made = await checkAccess(ctx.db, actor, outcome.dataset.id, ctx.clock.now());
  // Taken away the moment it was made: the finished job is all there is to show.
  if (!made) return { kind: 'running', job: (await findJob(ctx.db, job.id)) ?? job };
  return {
    kind: 'done',
    dataset: made.dataset,
    level: made.level,
    allowedActions: datasetActionsOf(actor, made.facts, made.processDatasets),
  };
}

/**
 * The caller gets the new dataset when the job is small (at most `processInlineLimit` items)
 * and finishes within `processInlineWaitMs`; otherwise the job as it stands, to follow its
 * progress while it runs here or on another instance.
 */
async function awaitSmallJob(
  ctx: Context,
  job: JobsTable,
): Promise<{ kind: 'done'; dataset: DatasetsTable } | { kind: 'running'; job: JobsTable }> {
  const started = await ctx.jobs.runNow(job.id);
  const current = async () => ({ kind: 'running' as const, job: (await findJob(ctx.db, job.id)) ?? job });
  if (!started) return current();
  // In the background a failure is recorded on the job; nobody awaits the promise.
  started.result.catch(() => {});
  if (job.total > ctx.processInlineLimit) return { kind: 'running', job: started.job };
  let timer: NodeJS.Timeout | undefined;
  const waited = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), ctx.processInlineWaitMs);
  });
  try {
    const finished = await Promise.race([started.result.then((dataset) => ({ dataset })), waited]);
    if (finished) return { kind: 'done', dataset: finished.dataset };
  } finally {
    clearTimeout(timer);
  }
  return current();
}

/** Runs a queued dedupe job on this instance: as its starter asked, whoever runs it. */
export async function runDedupeJob(ctx: Context, job: JobsTable): Promise<DatasetsTable> {
  const source = await findDataset(ctx.db, job.source_dataset_id);
  if (!source) throw datasetDeleted();
  // A job queued long ago, or run again after a crash, stops before reading anything for someone who may no longer process.
  await starterLevel(ctx.db, job, ctx.clock.now());
  return dedupe(ctx, job, source, job.started_by, job.carry_sharing === 1);
}

async function dedupe(ctx: Context, job: JobsTable, source: DatasetsTable, actorId: string, carrySharing: boolean): Promise<DatasetsTable> {
  const plan = await planDedupe(ctx, job, source);
  const held: string[] = [];
  try {
    // Held, the files cannot be swept away (say, by a deletion of the source) before the copy commits.
    for (const item of plan.items) {
      if (!(await ctx.blobs.hold(item.sha256))) {
        if (!(await datasetExists(ctx.db, source.id))) throw datasetDeleted();
        throw new Conflict('item_file_missing', `The file of item "${item.name}" is missing; nothing was created.`);
      }
      held.push(item.sha256);
    }
    return await writeCopy(ctx, job, source, actorId, carrySharing, plan);
  } finally {
    for (const sha256 of held) await ctx.blobs.release(sha256);
  }
}

const datasetDeleted = () => new Conflict('dataset_deleted', 'The dataset was deleted while it was being processed; nothing was created.');

/** Reads the source page by page, reporting each page as progress. */
async function planDedupe(ctx: Context, job: JobsTable, source: DatasetsTable): Promise<DedupePlan> {
  const kept = new Map<string, ItemsTable>();
  let after = '';
  let done = 0;
  for (;;) {
    const page = await itemsAfter(ctx.db, source.id, after, PAGE);
    if (page.length === 0) break;
    for (const item of page) if (!kept.has(item.sha256)) kept.set(item.sha256, item);
    after = page[page.length - 1]!.id;
    done += page.length;
    await reportProgress(ctx, job, done);
  }
  const items = [...kept.values()];
  const layers = await layerRowsOfDataset(ctx.db, source.id);
  const annotations: AnnotationsTable[] = [];
  for (let i = 0; i < items.length; i += PAGE) {
    const ids = items.slice(i, i + PAGE).map((k) => k.id);
    annotations.push(...(await annotationsOnItems(ctx.db, ids)));
  }
  return { items, layers, annotations };
}

/** The new dataset, its content, its grants, its lineage and the audit: one transaction, so a failure leaves nothing. */
async function writeCopy(
  ctx: Context,
  job: JobsTable,
  source: DatasetsTable,
  actorId: string,
  carrySharing: boolean,
  plan: DedupePlan,
): Promise<DatasetsTable> {
  const now = ctx.clock.now();
  const name = `${source.name} (deduplicated)`;
  const dataset: DatasetsTable = {
    id: ctx.random.id('ds'),
    org_id: source.org_id,
    name,
    name_key: datasetNameKey(name),
    description: source.description,
    visibility: carrySharing ? source.visibility : 'admins',
    predecessor_id: source.id,
    item_count: plan.items.length,
    created_at: now,
    updated_at: now,
  };
  await inTransaction(ctx, async (tx) => {
    await finishJob(tx, job, dataset.id, now);
    if (!(await datasetExists(tx, source.id))) throw datasetDeleted();
    const starter = await starterGrantAtCommit(tx, job, now);
    await insertDataset(tx, dataset);
    await copyContent(ctx, tx, dataset.id, plan, now);
    const event = { orgId: source.org_id, at: now, actorId, datasetId: dataset.id };
    await recordEvent(tx, ctx.random, {
      ...event,
      subject: `dataset:${dataset.id}`,
      action: 'dataset.created',
      after: { name, visibility: dataset.visibility, predecessorId: source.id },
    });
    if (carrySharing) await carryGrants(tx, ctx.random, source.id, dataset.id, actorId, now, event);
    await grantStarter(tx, dataset.id, actorId, starter, now);
    await recordEvent(tx, ctx.random, {
      ...event,
      subject: `dataset:${dataset.id}`,
      action: 'dataset.processed',
      before: { datasetId: source.id, items: job.total },
      after: { pipeline: 'dedupe', items: plan.items.length, carrySharing },
    });
  });
  return dataset;
}

/** The planned items, layers and annotations under new ids in the new dataset; who made each and when stays. */
async function copyContent(ctx: Pick<Context, 'random'>, tx: Db, datasetId: string, plan: DedupePlan, now: number): Promise<void> {
  const itemIds = new Map(plan.items.map((item) => [item.id, ctx.random.sortableId('item', now)]));
  const layerIds = new Map(plan.layers.map((layer) => [layer.id, ctx.random.id('layer')]));
  await insertContentInPages(
    tx,
    'items',
    plan.items.map((item) => ({ ...item, id: itemIds.get(item.id)!, dataset_id: datasetId })),
    PAGE,
  );
  await insertContentInPages(
    tx,
    'layers',
    plan.layers.map((layer) => ({ ...layer, id: layerIds.get(layer.id)!, dataset_id: datasetId })),
    PAGE,
  );
  await insertContentInPages(
    tx,
    'annotations',
    plan.annotations.map((a) => ({
      ...a,
      id: ctx.random.sortableId('ann', now),
      layer_id: layerIds.get(a.layer_id)!,
      item_id: itemIds.get(a.item_id)!,
    })),
    PAGE,
  );
}

/** The live user and team grants of the source, each an audited grant on the copy; pending invitations never carry. */
async function carryGrants(
  tx: Db,
  random: Random,
  sourceId: string,
  datasetId: string,
  actorId: string,
  now: number,
  event: { orgId: string; at: number; actorId: string; datasetId: string },
): Promise<void> {
  const live = (g: { expires_at: number | null }) => isInForce(g.expires_at, now);
  const carried = { carriedFrom: sourceId };
  const users = (await userGrantRowsOfDataset(tx, sourceId)).filter(
    // The starter's own grant on the copy is their level on the source, which is at least this grant's.
    (g) => live(g) && g.user_id !== actorId,
  );
  for (const g of users) {
    await insertUserGrant(tx, {
      dataset_id: datasetId,
      user_id: g.user_id,
      level: g.level,
      expires_at: g.expires_at,
      granted_by: g.granted_by,
      created_at: now,
      last_used_at: null,
    });
    await recordEvent(tx, random, {
      ...event,
      action: 'grant.set',
      subject: `user:${g.user_id}`,
      before: null,
      after: { level: levelOf(g.level), expiresAt: iso(g.expires_at), ...carried },
    });
  }
  const teams = (await teamGrantRowsOfDataset(tx, sourceId)).filter(live);
  for (const g of teams) {
    await insertTeamGrant(tx, {
      dataset_id: datasetId,
      team_id: g.team_id,
      level: g.level,
      expires_at: g.expires_at,
      granted_by: g.granted_by,
      created_at: now,
      last_used_at: null,
    });
    await recordEvent(tx, random, {
      ...event,
      action: 'team_grant.set',
      subject: `team:${g.team_id}`,
      before: null,
      after: { level: levelOf(g.level), expiresAt: iso(g.expires_at), ...carried },
    });
  }
}

/**
 * The starter holds a direct grant on the copy at their level on the source, so they keep using
 * what they made, and until the last of the grants that give them that level ends, if they all
 * do. Never admin for a writer: processing gives nobody more than the source did, or a writer
 * could share with outsiders, through the copy, what only the source's admins may share.
 */
async function grantStarter(tx: Db, datasetId: string, actorId: string, grant: StarterGrant, now: number): Promise<void> {
  await insertUserGrant(tx, {
    dataset_id: datasetId,
    user_id: actorId,
    level: rankOf(grant.level),
    expires_at: grant.expiresAt,
    granted_by: actorId,
    created_at: now,
    last_used_at: null,
  });
}
