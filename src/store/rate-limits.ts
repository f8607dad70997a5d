import type { Db } from './database.js';
import type { RateLimitsTable } from './schema.js';

/**
 * Counts one hit on the counter and returns the hits in its window. A window opens at the first
 * hit and closes `windowMs` later; the increment is one upsert, so racing requests on several
 * instances all count.
 */
export async function countRateHit(db: Db, key: string, now: number, windowMs: number): Promise<number> {
  const windowOpen = now - windowMs;
  const row = await db
    .insertInto('rate_limits')
    .values({ key, window_start: now, hits: 1 })
    .onConflict((oc) =>
      oc.column('key').doUpdateSet((eb) => ({
        hits: eb
          .case()
          .when('rate_limits.window_start', '<=', windowOpen)
          .then(1)
          .else(eb('rate_limits.hits', '+', 1))
          .end(),
        window_start: eb.case().when('rate_limits.window_start', '<=', windowOpen).then(now).else(eb.ref('rate_limits.window_start')).end(),
      })),
    )
    .returning(['hits', 'window_start'])
    .executeTakeFirstOrThrow();
  return Number(row.hits);
}

/** Removes up to `most` of the counters whose window opened at or before `openedBy`, found through rate_limits_window. */
export async function deleteRateCountersOpenedBy(db: Db, openedBy: number, most: number): Promise<void> {
  await db
    .deleteFrom('rate_limits')
    .where('key', 'in', (eb) => eb.selectFrom('rate_limits').select('key').where('window_start', '<=', openedBy).limit(most))
    .execute();
}

export async function findRateCounter(db: Db, key: string): Promise<RateLimitsTable | undefined> {
  return db.selectFrom('rate_limits').selectAll().where('key', '=', key).executeTakeFirst();
}

export async function deleteRateCounter(db: Db, key: string): Promise<void> {
  await db.deleteFrom('rate_limits').where('key', '=', key).execute();
}
