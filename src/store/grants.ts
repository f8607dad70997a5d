import { inForce } from '../access/check.js';
import { type Level, levelOf } from '../access/levels.js';
import type { Db } from './database.js';

export interface DirectGrantInOrg {
  datasetId: string;
  datasetName: string;
  level: Level;
  expiresAt: number | null;
}

/** The user's direct grants in force on the organization's datasets, by dataset name. */
export async function directGrantsInOrg(db: Db, orgId: string, userId: string, now: number): Promise<DirectGrantInOrg[]> {
  // user_grants_user (user_id, dataset_id) finds the user's grants; the dataset's org filters them.
  const rows = await db
    .selectFrom('user_grants as g')
    .innerJoin('datasets as d', 'd.id', 'g.dataset_id')
    .select(['d.id', 'd.name', 'g.level', 'g.expires_at'])
    .where('g.user_id', '=', userId)
    .where('d.org_id', '=', orgId)
    .where(inForce('g.expires_at', now))
    .orderBy('d.name')
    .orderBy('d.id')
    .execute();
  return rows.map((r) => ({ datasetId: r.id, datasetName: r.name, level: levelOf(r.level) ?? 'read', expiresAt: r.expires_at }));
}

/** Deletes every direct grant of the user on the organization's datasets, expired ones included, and returns those in force. */
export async function revokeUserGrantsInOrg(tx: Db, orgId: string, userId: string, now: number): Promise<DirectGrantInOrg[]> {
  const live = await directGrantsInOrg(tx, orgId, userId, now);
  await tx
    .deleteFrom('user_grants')
    .where('user_id', '=', userId)
    .where('dataset_id', 'in', (eb) => eb.selectFrom('datasets').select('id').where('org_id', '=', orgId))
    .execute();
  return live;
}

/** Whether the user holds a direct grant (in force or not) on any of the organization's datasets. */
export async function holdsGrantInOrg(db: Db, orgId: string, userId: string): Promise<boolean> {
  const row = await db
    .selectFrom('user_grants as g')
    .innerJoin('datasets as d', 'd.id', 'g.dataset_id')
    .select('g.dataset_id')
    .where('g.user_id', '=', userId)
    .where('d.org_id', '=', orgId)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}
