import { authorizeDataset } from '../access/check.js';
import { previewSharingChange, type SharingChange } from '../access/preview.js';
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
  return previewSharingChange(ctx.db, dataset, change, now);
}
