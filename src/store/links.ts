import type { Db } from './database.js';
import { inForce } from './grants.js';
import type { ShareLinksTable } from './schema.js';

export type ShareLinkRow = ShareLinksTable & { uses: number };
export type ShareLinkWithCreator = ShareLinkRow & { creator_name: string | null };

export async function insertLink(db: Db, row: Omit<ShareLinkRow, 'uses' | 'revoked_at' | 'revoked_by'>): Promise<void> {
  await db
    .insertInto('share_links')
    .values({ ...row, uses: 0, revoked_at: null, revoked_by: null })
    .execute();
}

function linksWithCreator(db: Db) {
  return db.selectFrom('share_links as l').leftJoin('users as u', 'u.id', 'l.created_by').selectAll('l').select('u.name as creator_name');
}

export async function findLink(db: Db, linkId: string): Promise<ShareLinkWithCreator | null> {
  return ((await linksWithCreator(db).where('l.id', '=', linkId).executeTakeFirst()) as ShareLinkWithCreator | undefined) ?? null;
}

/** The link whose secret hashes to `tokenHash` (the unique index on token_hash). */
export async function findLinkByTokenHash(db: Db, tokenHash: string): Promise<ShareLinkWithCreator | null> {
  return (
    ((await linksWithCreator(db).where('l.token_hash', '=', tokenHash).executeTakeFirst()) as ShareLinkWithCreator | undefined) ?? null
  );
}

/** One page of a dataset's links, newest first (share_links_dataset). */
export async function linksOfDataset(
  db: Db,
  datasetId: string,
  page: { after?: [number, string] | undefined; take: number },
): Promise<ShareLinkWithCreator[]> {
  let query = linksWithCreator(db).where('l.dataset_id', '=', datasetId);
  if (page.after) {
    const [at, id] = page.after;
    query = query.where((eb) => eb(eb.refTuple('l.created_at', 'l.id'), '<', eb.tuple(at, id)));
  }
  return (await query.orderBy('l.created_at', 'desc').orderBy('l.id', 'desc').limit(page.take).execute()) as ShareLinkWithCreator[];
}

/** Kills a live link; false when it was already revoked. */
export async function markLinkRevoked(db: Db, linkId: string, actorId: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable('share_links')
    .set({ revoked_at: now, revoked_by: actorId })
    .where('id', '=', linkId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/**
 * Takes one use of a live link and answers the uses it now has, or null when it took none. One conditional UPDATE: of two redeemers racing for
 * the last use, the second finds `uses < max_uses` false once the first has committed (PostgreSQL
 * re-checks the condition on the row it waited for; SQLite runs one writer at a time).
 */
export async function claimLinkUse(tx: Db, linkId: string, now: number): Promise<number | null> {
  const claimed = await tx
    .updateTable('share_links')
    .set((eb) => ({ uses: eb('uses', '+', 1) }))
    .where('id', '=', linkId)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .where((eb) => eb.or([eb('max_uses', 'is', null), eb('uses', '<', eb.ref('max_uses'))]))
    .returning('uses')
    .executeTakeFirst();
  return claimed ? Number(claimed.uses) : null;
}

/** Records the user's first redemption of the link; false when they had redeemed it before. */
export async function insertRedemption(
  tx: Db,
  row: { link_id: string; user_id: string; redeemed_at: number; level: number },
): Promise<boolean> {
  const inserted = await tx
    .insertInto('share_link_redemptions')
    .values(row)
    .onConflict((oc) => oc.columns(['link_id', 'user_id']).doNothing())
    .returning('link_id')
    .executeTakeFirst();
  return inserted !== undefined;
}

export interface RedemptionRow {
  user_id: string;
  name: string;
  email: string;
  redeemed_at: number;
  level: number;
  /** The redeemer's e-mail may be shown: they are a member of the organization or hold a grant on the dataset. */
  known: number;
}

/** One page of a link's redemptions, newest first (the primary key (link_id, user_id)). */
export async function redemptionsOf(
  db: Db,
  link: { id: string; dataset_id: string; org_id: string },
  page: { after?: [number, string] | undefined; take: number },
): Promise<RedemptionRow[]> {
  let query = db
    .selectFrom('share_link_redemptions as r')
    .innerJoin('users as u', 'u.id', 'r.user_id')
    .select((eb) => [
      'r.user_id',
      'u.name',
      'u.email',
      'r.redeemed_at',
      'r.level',
      eb
        .case()
        .when(
          eb.or([
            eb.exists(
              eb
                .selectFrom('org_members as m')
                .select('m.user_id')
                .whereRef('m.user_id', '=', 'r.user_id')
                .where('m.org_id', '=', link.org_id),
            ),
            eb.exists(
              eb
                .selectFrom('user_grants as g')
                .select('g.user_id')
                .whereRef('g.user_id', '=', 'r.user_id')
                .where('g.dataset_id', '=', link.dataset_id),
            ),
          ]),
        )
        .then(1)
        .else(0)
        .end()
        .as('known'),
    ])
    .where('r.link_id', '=', link.id);
  if (page.after) {
    const [at, id] = page.after;
    query = query.where((eb) => eb(eb.refTuple('r.redeemed_at', 'r.user_id'), '<', eb.tuple(at, id)));
  }
  return (await query.orderBy('r.redeemed_at', 'desc').orderBy('r.user_id', 'desc').limit(page.take).execute()) as RedemptionRow[];
}

/** The user's direct grant on the dataset, if it is in force. */
export async function directGrantInForce(db: Db, datasetId: string, userId: string, now: number) {
  return db
    .selectFrom('user_grants')
    .select(['level', 'expires_at'])
    .where('dataset_id', '=', datasetId)
    .where('user_id', '=', userId)
    .where(inForce('expires_at', now))
    .executeTakeFirst();
}
