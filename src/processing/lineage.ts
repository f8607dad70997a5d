import { authorizeDataset, checkAccess } from '../access/check.js';
import type { Context } from '../context.js';
import { successorIds } from '../store/datasets.js';

/** Where a dataset came from and what was made from it, as far as the viewer can read. */
export async function lineageOf(ctx: Context, actorId: string, datasetId: string) {
  const now = ctx.clock.now();
  const { dataset } = await authorizeDataset(ctx.db, actorId, datasetId, 'read', now);
  const readable = async (id: string) => checkAccess(ctx.db, actorId, id, now);
  const predecessor = dataset.predecessor_id ? await readable(dataset.predecessor_id) : null;
  const children = await successorIds(ctx.db, datasetId);
  const successors = [];
  for (const child of children) {
    const access = await readable(child.id);
    if (access) successors.push(access);
  }
  return { predecessor, successors };
}
