import { type Level, levelOf } from '../access/levels.js';
import { assertLinkAdmits } from '../access/links.js';
import { membershipOf } from '../access/org.js';
import { recordEvent } from '../audit/record.js';
import { iso } from '../clock.js';
import { type Context, inTransaction } from '../context.js';
import { NotFound } from '../errors.js';
import { hashSecret, type Random } from '../secrets.js';
import type { Db } from '../store/database.js';
import { datasetAndOrgNames, findDatasetTier } from '../store/datasets.js';
import { findUserGrant, putUserGrant } from '../store/grants.js';
import {
  claimLinkUse,
  directGrantInForce,
  findLink,
  findLinkByTokenHash,
  insertRedemption,
  type ShareLinkWithCreator,
} from '../store/links.js';
import type { User } from '../store/users.js';
import { linkLevel, linkRefusal, linkStatus, rulesOf, usedUp } from './model.js';

/** The link of a secret, unless it is dead; `usedUpToo` lets a used-up link through, for a repeat by who used it. */
async function liveLink(ctx: Context, token: string, now: number, usedUpToo = false): Promise<ShareLinkWithCreator> {
  const link = await findLinkByTokenHash(ctx.db, hashSecret(token));
  if (!link) throw new NotFound('Link');
  const status = linkStatus(link, now);
  const refused = usedUpToo && status === 'used_up' ? null : linkRefusal(status);
  if (refused) throw refused;
  return link;
}

/** What anyone holding the link may see before redeeming it, and nothing else. */
export async function lookupLink(ctx: Context, token: string) {
  const link = await liveLink(ctx, token, ctx.clock.now());
  const about = await datasetAndOrgNames(ctx.db, link.dataset_id);
  const rules = rulesOf(link);
  return {
    datasetName: about.dataset_name,
    orgName: about.org_name,
    level: linkLevel(link),
    expiresAt: iso(link.expires_at),
    createdBy: { name: link.creator_name ?? '' },
    allowedDomains: rules.allowedDomains,
    membersOnly: rules.membersOnly,
  };
}

export interface Redeemed {
  datasetId: string;
  /** The level of the redeemer's direct grant now: the link's, or a higher one they already held. */
  level: Level;
}

/** Gives the link's level as a direct grant, raising a lower grant and keeping a higher one. */
async function grantLinkLevel(
  tx: Db,
  random: Random,
  link: ShareLinkWithCreator,
  userId: string,
  held: number | null,
  now: number,
): Promise<void> {
  if (held !== null && held >= link.level) return;
  const before = await findUserGrant(tx, link.dataset_id, userId);
  await putUserGrant(tx, { datasetId: link.dataset_id, userId, level: link.level, expiresAt: null, grantedBy: link.created_by, at: now });
  await recordEvent(tx, random, {
    orgId: link.org_id,
    at: now,
    actorId: link.created_by,
    action: 'grant.set',
    datasetId: link.dataset_id,
    subject: `user:${userId}`,
    before: before ? { level: levelOf(before.level), expiresAt: iso(before.expires_at) } : null,
    after: { level: linkLevel(link), expiresAt: null, via: `link:${link.id}` },
  });
}

/**
 * Redeems a link for the logged-in user. A person redeems a link once: a repeat while the grant
 * it gave (or a higher one) stands changes nothing and takes no use; once that grant is gone the
 * link is used up for them, so a revoked person cannot let themselves back in. Uses are counted
 * by one conditional UPDATE in the same transaction, so racing redeemers never exceed the cap.
 */
export async function redeemLink(ctx: Context, user: User, token: string): Promise<Redeemed> {
  const link = await liveLink(ctx, token, ctx.clock.now(), true);
  return inTransaction(ctx, async (tx) => {
    const now = ctx.clock.now();
    const dataset = await findDatasetTier(tx, link.dataset_id);
    if (!dataset) throw new NotFound('Link');
    const held = await directGrantInForce(tx, link.dataset_id, user.id, now);
    const heldRank = held ? Number(held.level) : null;
    const level = Math.max(heldRank ?? 0, link.level);
    // Concurrent redemptions by one person wait here for each other: the second finds the first's row.
    const first = await insertRedemption(tx, { link_id: link.id, user_id: user.id, redeemed_at: now, level });
    if (!first) {
      // Read again: a redemption of this person's that was under way meanwhile has given its grant by now.
      const stands = await directGrantInForce(tx, link.dataset_id, user.id, now);
      if (stands) return { datasetId: link.dataset_id, level: levelOf(Number(stands.level)) ?? 'read' };
      throw usedUp('You have used this link before, and the access it gave you has since been taken back. Ask an admin of the dataset.');
    }
    const isMember = (await membershipOf(tx, user.id, dataset.org_id)) !== null;
    assertLinkAdmits(rulesOf(link), { email: user.email, emailVerified: user.emailVerified, isMember }, dataset.visibility);
    const uses = await claimLinkUse(tx, link.id, now);
    if (uses === null) {
      const current = await findLink(tx, link.id);
      throw (current && linkRefusal(linkStatus(current, now))) ?? usedUp();
    }
    await grantLinkLevel(tx, ctx.random, link, user.id, heldRank, now);
    await recordEvent(tx, ctx.random, {
      orgId: link.org_id,
      at: now,
      actorId: user.id,
      action: 'link.redeemed',
      datasetId: link.dataset_id,
      subject: `link:${link.id}`,
      before: { uses: uses - 1 },
      after: { name: link.name, uses, userId: user.id, level: levelOf(level) },
    });
    return { datasetId: link.dataset_id, level: levelOf(level) ?? 'read' };
  });
}
