import { authorizeDatasetAction } from '../access/authorize.js';
import { explainAccess } from '../access/explain.js';
import { atLeast, type Level } from '../access/levels.js';
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

/** What processing gives its starter on the result: their level on the source, for as long as they hold it there. */
export interface StarterGrant {
  level: Level;
  /** When the last of the paths that give them that level on the source ends; null when one never does. */
  expiresAt: number | null;
}

/**
 * The same question inside the transaction that writes the result, so nothing commits for
 * someone whose access was taken back since. Member removals and capability changes lock the
 * organization's row; locking it here waits for one under way and makes a later one wait for
 * this commit, after which it sees (and revokes) the starter's grant on the result. A level held
 * through time-boxed grants only is given on the result until the last of them ends.
 */
export async function starterGrantAtCommit(tx: Db, job: JobsTable, now: number): Promise<StarterGrant> {
  await lockOrg(tx, job.org_id);
  const level = await starterLevel(tx, job, now);
  const starter = actingAs(job.started_by);
  const { paths } = await explainAccess(tx, starter, job.source_dataset_id, starter.id, now);
  // The same facts give the level and the paths, so one path at least gives the level.
  let expiresAt: number | null | undefined;
  for (const path of paths) {
    if (!atLeast(path.level, level)) continue;
    const ends = 'expiresAt' in path && path.expiresAt !== null ? Date.parse(path.expiresAt) : null;
    expiresAt = ends === null || expiresAt === null ? null : Math.max(expiresAt ?? ends, ends);
  }
  return { level, expiresAt: expiresAt ?? null };
}

const starterMayNoLongerProcess = () =>
  new Forbidden('Whoever started this job may no longer process the dataset, so nothing was created.');
