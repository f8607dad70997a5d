import { authorizeDatasetAction, datasetActionsOfMany } from '../access/authorize.js';
import { checkAccess } from '../access/check.js';
import { effectiveLevel } from '../access/rule.js';
import type { Actor } from '../access/scope.js';
import type { Context } from '../context.js';
import { successorIds } from '../store/datasets.js';

/** Where a dataset came from and what was made from it, as far as the viewer can read. */
export async function lineageOf(ctx: Context, actor: Actor, datasetId: string) {
  const now = ctx.clock.now();
  const { dataset } = await authorizeDatasetAction(ctx.db, actor, datasetId, 'dataset.read', now);
  const readable = async (id: string) => checkAccess(ctx.db, actor, id, now);
  const predecessor = dataset.predecessor_id ? await readable(dataset.predecessor_id) : null;
  const children = await successorIds(ctx.db, datasetId);
  const successors = [];
  for (const child of children) {
    const access = await readable(child.id);
    if (access) successors.push(access);
  }
  const shown = predecessor ? [predecessor, ...successors] : successors;
  const actions = await datasetActionsOfMany(
    ctx.db,
    actor,
    shown.map((a) => ({ orgId: a.dataset.org_id, level: effectiveLevel(a.facts), visibility: a.dataset.visibility })),
  );
  const withActions = shown.map((a, i) => ({ ...a, allowedActions: actions[i]! }));
  return { predecessor: predecessor ? withActions[0]! : null, successors: predecessor ? withActions.slice(1) : withActions };
}
