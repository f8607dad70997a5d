import { authorizeDatasetAction, datasetActionsOf, datasetFactsOf, orgFactsOf } from '../access/authorize.js';
import { datasetNameKey, type InventoryEntry, listInventory } from '../access/inventory.js';
import { type Level, rankOf, type Visibility } from '../access/levels.js';
import { membershipOf } from '../access/org.js';
import { authorize, type DatasetAction } from '../access/policy.js';
import { type Actor, cappedLevel } from '../access/scope.js';
import { recordEvent } from '../audit/record.js';
import { removeUnusedBlobs } from '../content/items.js';
import { type Context, inTransaction } from '../context.js';
import { InvalidRequest } from '../errors.js';
import { itemShas } from '../store/content.js';
import type { Db } from '../store/database.js';
import { deleteDatasetWithContents, insertDataset, updateDatasetRow } from '../store/datasets.js';
import { putUserGrant } from '../store/grants.js';
import type { DatasetsTable } from '../store/schema.js';

export type DatasetRow = DatasetsTable;

export interface DatasetView {
  dataset: DatasetRow;
  level: Level;
  /** What the caller may do on it (policy.ts). */
  allowedActions: DatasetAction[];
}

function requireDatasetName(raw: string): string {
  const name = raw.trim();
  if (!name) throw new InvalidRequest('The dataset name cannot be empty.', { field: 'name' });
  return name;
}

export async function createDataset(
  ctx: Context,
  actor: Actor,
  orgId: string,
  input: { name: string; description?: string | undefined; visibility?: Visibility | undefined },
): Promise<DatasetView> {
  const actorId = actor.id;
  const membership = await membershipOf(ctx.db, actorId, orgId);
  const facts = orgFactsOf(actor, membership);
  const visibility = input.visibility ?? 'admins';
  authorize('org.createDataset', facts);
  // The creator holds a direct admin grant, and is a member: the rule's facts follow.
  const access = { orgRole: membership!.role, visibility, teamRank: null, directRank: rankOf('admin') };
  if (visibility !== 'admins') {
    authorize('org.createSharedDataset', facts);
    // Picking a shared tier shares the dataset as changing it later would, so a token that may
    // not change the tier may not pick one either.
    authorize('dataset.setVisibility', datasetFactsOf(actor, access, membership!.processDatasets));
  }
  const now = ctx.clock.now();
  const dataset: DatasetRow = {
    id: ctx.random.id('ds'),
    org_id: orgId,
    name: requireDatasetName(input.name),
    name_key: '',
    description: input.description?.trim() ?? '',
    visibility,
    predecessor_id: null,
    item_count: 0,
    created_at: now,
    updated_at: now,
  };
  dataset.name_key = datasetNameKey(dataset.name);
  await inTransaction(ctx, async (tx) => {
    await insertDataset(tx, dataset);
    await grantCreatorAdmin(tx, dataset.id, actorId, now);
    await recordEvent(tx, ctx.random, {
      orgId,
      at: now,
      actorId,
      action: 'dataset.created',
      datasetId: dataset.id,
      subject: `dataset:${dataset.id}`,
      after: { name: dataset.name, visibility },
    });
  });
  const allowedActions = datasetActionsOf(actor, access, membership!.processDatasets);
  // As every other view of the dataset, the level shown is at most the token's scope.
  return { dataset, level: cappedLevel(actor, 'admin'), allowedActions };
}

/** The creator's admin grant is an ordinary direct grant: revocable like any other. */
export async function grantCreatorAdmin(tx: Db, datasetId: string, creatorId: string, now: number): Promise<void> {
  await putUserGrant(tx, { datasetId, userId: creatorId, level: rankOf('admin'), expiresAt: null, grantedBy: creatorId, at: now });
}

export async function getDataset(ctx: Context, actor: Actor, datasetId: string): Promise<DatasetView> {
  const { dataset, level, facts, processDatasets } = await authorizeDatasetAction(
    ctx.db,
    actor,
    datasetId,
    'dataset.read',
    ctx.clock.now(),
  );
  return { dataset, level, allowedActions: datasetActionsOf(actor, facts, processDatasets) };
}

export async function inventory(
  ctx: Context,
  actor: Actor,
  query: { orgId?: string | undefined; q?: string | undefined; minLevel?: Level | undefined; limit: number; cursor?: string | undefined },
): Promise<{ items: (InventoryEntry & { allowedActions: DatasetAction[] })[]; nextCursor: string | null }> {
  const minLevel = query.minLevel ?? 'read';
  // A token's scope caps the level it acts at (API.md): nothing qualifies above it, and each
  // dataset shows at most it, as the dataset itself does (checkAccess).
  if (cappedLevel(actor, minLevel) !== minLevel) return { items: [], nextCursor: null };
  const { entries, nextCursor } = await listInventory(ctx.store, {
    userId: actor.id,
    minLevel,
    orgId: query.orgId,
    search: query.q,
    limit: query.limit,
    cursor: query.cursor,
    now: ctx.clock.now(),
  });
  // The page read each entry's facts and the user's capabilities with it: no further read.
  return {
    items: entries.map((e) =>
      Object.assign(e, { level: cappedLevel(actor, e.level), allowedActions: datasetActionsOf(actor, e.facts, e.processDatasets) }),
    ),
    nextCursor,
  };
}

export async function updateDataset(
  ctx: Context,
  actor: Actor,
  datasetId: string,
  change: { name?: string | undefined; description?: string | undefined; visibility?: Visibility | undefined },
): Promise<DatasetView> {
  const now = ctx.clock.now();
  const edits = change.name !== undefined || change.description !== undefined;
  if (!edits && change.visibility === undefined) throw new InvalidRequest('Nothing to change: send name, description or visibility.');
  const { access, before, after } = await inTransaction(ctx, async (tx) => {
    const access = await authorizeDatasetAction(tx, actor, datasetId, edits ? 'dataset.edit' : 'dataset.read', now);
    const before = access.dataset;
    if (change.visibility !== undefined) authorize('dataset.setVisibility', datasetFactsOf(actor, access.facts, false));
    const after: DatasetRow = {
      ...before,
      name: change.name === undefined ? before.name : requireDatasetName(change.name),
      description: change.description === undefined ? before.description : change.description.trim(),
      visibility: change.visibility ?? before.visibility,
      updated_at: now,
    };
    await updateDatasetRow(tx, datasetId, {
      name: after.name,
      name_key: datasetNameKey(after.name),
      description: after.description,
      visibility: after.visibility,
      updated_at: now,
    });
    const event = { orgId: before.org_id, at: now, actorId: actor.id, datasetId, subject: `dataset:${datasetId}` };
    if (after.name !== before.name) {
      await recordEvent(tx, ctx.random, {
        ...event,
        action: 'dataset.renamed',
        before: { name: before.name },
        after: { name: after.name },
      });
    }
    if (after.visibility !== before.visibility) {
      await recordEvent(tx, ctx.random, {
        ...event,
        action: 'dataset.visibility_changed',
        before: { visibility: before.visibility },
        after: { visibility: after.visibility },
      });
    }
    return { access, before, after };
  });
  if (after.visibility === before.visibility) {
    return { dataset: after, level: access.level, allowedActions: datasetActionsOf(actor, access.facts, access.processDatasets) };
  }
  return { ...(await getDataset(ctx, actor, datasetId)), dataset: after };
}

/**
 * Its grants, invitations, layers, annotations, items and project links go with it in one
 * transaction; its audit events stay. Files no other item uses are removed afterwards.
 */
export async function deleteDataset(ctx: Context, actor: Actor, datasetId: string): Promise<void> {
  const now = ctx.clock.now();
  const blobs = await inTransaction(ctx, async (tx) => {
    const { dataset } = await authorizeDatasetAction(tx, actor, datasetId, 'dataset.delete', now);
    const blobs = await itemShas(tx, datasetId);
    await deleteDatasetWithContents(tx, datasetId);
    await recordEvent(tx, ctx.random, {
      orgId: dataset.org_id,
      at: now,
      actorId: actor.id,
      action: 'dataset.deleted',
      datasetId,
      subject: `dataset:${datasetId}`,
      before: { name: dataset.name, visibility: dataset.visibility },
    });
    return blobs;
  });
  await removeUnusedBlobs(ctx, blobs).catch((error: unknown) => ctx.logger.warn({ err: error }, 'could not remove unused blobs'));
}
