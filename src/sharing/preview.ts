import { authorizeDatasetAction, datasetFactsOf } from '../access/authorize.js';
import { emailsVisibleTo } from '../access/email-visibility.js';
import { authorize } from '../access/policy.js';
import { type LevelChange, previewSharingChange, type SharingChange } from '../access/preview.js';
import type { Actor } from '../access/scope.js';
import type { Context } from '../context.js';
import { InvalidRequest } from '../errors.js';

/**
 * What a tier change, a team removal or a user removal would do, changing nothing. Any dataset
 * admin may ask; a tier change's preview only a dataset admin who is a member of the organization
 * (`dataset.previewVisibility`), though only org admins make one: seeing who would gain and lose is
 * what they need to ask an org admin for it. The answer shows no address the caller could not see
 * in the dataset's sharing settings or their organization.
 */
export async function previewSharing(ctx: Context, actor: Actor, datasetId: string, change: SharingChange) {
  const now = ctx.clock.now();
  const { dataset, facts } = await authorizeDatasetAction(ctx.db, actor, datasetId, 'dataset.share', now);
  if (change.visibility === undefined && change.removeTeamId === undefined && change.removeUserId === undefined) {
    throw new InvalidRequest('Say what would change: visibility, removeTeamId or removeUserId.');
  }
  if (change.visibility !== undefined) authorize('dataset.previewVisibility', datasetFactsOf(actor, facts, false));
  const { gains, losses } = await previewSharingChange(ctx.db, dataset, change, now);
  const visible = await emailsVisibleTo(
    ctx.db,
    actor.id,
    [...gains, ...losses].map((c) => c.user.id),
    datasetId,
  );
  const shown = (c: LevelChange) => (visible.has(c.user.id) ? c : { ...c, user: { id: c.user.id, name: c.user.name } });
  return { gains: gains.map(shown), losses: losses.map(shown) };
}
