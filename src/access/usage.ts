import { HOUR } from '../clock.js';
import type { Db } from '../store/database.js';
import type { AccessFacts } from './rule.js';

// Usage is kept to the hour: enough for a 90-day review, and reads stay free of writes.
const RESOLUTION_MS = HOUR;
const recent = new Map<string, number>();

/**
 * Records that the user read the dataset through their grants (direct, and their teams'),
 * for the access review. Never decides access; a failure here never fails the read.
 */
export async function recordGrantUse(db: Db, userId: string, datasetId: string, facts: AccessFacts, now: number): Promise<void> {
  if (facts.directRank === null && facts.teamRank === null) return;
  const key = `${userId}/${datasetId}`;
  const last = recent.get(key);
  if (last !== undefined && last > now - RESOLUTION_MS) return;
  if (recent.size > 100_000) recent.clear();
  recent.set(key, now);
  const stale = now - RESOLUTION_MS;
  if (facts.directRank !== null) {
    await db
      .updateTable('user_grants')
      .set({ last_used_at: now })
      .where('dataset_id', '=', datasetId)
      .where('user_id', '=', userId)
      .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', stale)]))
      .execute();
  }
  if (facts.teamRank !== null) {
    await db
      .updateTable('team_grants')
      .set({ last_used_at: now })
      .where('dataset_id', '=', datasetId)
      .where('team_id', 'in', (eb) => eb.selectFrom('team_members').select('team_id').where('user_id', '=', userId))
      .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', stale)]))
      .execute();
  }
}
