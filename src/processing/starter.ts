import { authorizeDatasetAction } from '../access/authorize.js';
import type { Level } from '../access/levels.js';
import { actingAs } from '../access/scope.js';
import { Forbidden, NotFound } from '../errors.js';
import type { Db } from '../store/database.js';
import { lockOrg } from '../store/orgs.js';
import type { JobsTable } from '../store/schema.js';

/**
 * A job acts for whoever started it, with what they may do when it acts, not what they could do
 * when they asked: the route's own question (`dataset.process` on the source) asked again. The
 * answer is their level on the source, which is all processing may give them on the result.
 */
export async function starterLevel(db: Db, job: JobsTable, now: number): Promise<Level> {
  try {
    const { level } = await authorizeDatasetAction(db, actingAs(job.started_by), job.source_dataset_id, 'dataset.process', now);
    return level;
  } catch (refusal) {
    if (refusal instanceof NotFound || refusal instanceof Forbidden) throw starterMayNoLongerProcess();
    throw refusal;
  }
}

/**
 * The same question inside the transaction that writes the result, so nothing commits for
 * someone whose access was taken back since. Member removals and capability changes lock the
 * organization's row; locking it here waits for one under way and makes a later one wait for
 * this commit, after which it sees (and revokes) the starter's grant on the result.
 */
export async function starterLevelAtCommit(tx: Db, job: JobsTable, now: number): Promise<Level> {
  await lockOrg(tx, job.org_id);
  return starterLevel(tx, job, now);
}

const starterMayNoLongerProcess = () =>
  new Forbidden('Whoever started this job may no longer process the dataset, so nothing was created.');
