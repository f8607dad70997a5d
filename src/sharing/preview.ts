import { authorizeDataset } from '../access/check.js';
import { emailsVisibleTo } from '../access/email-visibility.js';
import { type LevelChange, previewSharingChange, type SharingChange } from '../access/preview.js';
import type { Context } from '../context.js';
import { Forbidden, InvalidRequest } from '../errors.js';

/** What a tier change, a team removal or a user removal would do, changing nothing. */
export async function previewSharing(ctx: Context, actorId: string, datasetId: string, change: SharingChange) {
  const now = ctx.clock.now();
  const { dataset, facts } = await authorizeDataset(ctx.db, actorId, datasetId, 'admin', now);
  if (change.visibility === undefined && change.removeTeamId === undefined && change.removeUserId === undefined) {
    throw new InvalidRequest('Say what would change: visibility, removeTeamId or removeUserId.');
  }
  if (change.visibility !== undefined && facts.orgRole !== 'admin') {
    throw new Forbidden('Only organization admins change who a dataset is shared with.');
  }
  const { gains, losses } = await previewSharingChange(ctx.db, dataset, change, now);
  const visible = await emailsVisibleTo(
    ctx.db,
    actorId,
    [...gains, ...losses].map((c) => c.user.id),
    datasetId,
  );
  const shown = (c: LevelChange) => (visible.has(c.user.id) ? c : { ...c, user: { id: c.user.id, name: c.user.name } });
  return { gains: gains.map(shown), losses: losses.map(shown) };
}
