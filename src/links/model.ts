import { type Level, levelOf } from '../access/levels.js';
import type { LinkRules } from '../access/links.js';
import { DAY, iso } from '../clock.js';
import { appLink, type Context } from '../context.js';
import { Gone } from '../errors.js';
import type { ShareLinkRow, ShareLinkWithCreator } from '../store/links.js';

/** A link ends at most this far ahead of its making. */
export const LINK_MAX_LIFETIME_MS = 30 * DAY;

export type LinkStatus = 'active' | 'expired' | 'revoked' | 'used_up';

/** "expired" and "used up" are read off the row and the clock, never written by a background job. */
export function linkStatus(row: ShareLinkRow, now: number): LinkStatus {
  if (row.revoked_at !== null) return 'revoked';
  if (row.expires_at <= now) return 'expired';
  if (row.max_uses !== null && Number(row.uses) >= row.max_uses) return 'used_up';
  return 'active';
}

export function linkRefusal(status: LinkStatus): Gone | null {
  switch (status) {
    case 'revoked':
      return new Gone('link_revoked', 'This link was revoked by an admin of the dataset.');
    case 'expired':
      return new Gone('link_expired', 'This link has passed its end date. Ask the person who shared it for a new one.');
    case 'used_up':
      return usedUp();
    default:
      return null;
  }
}

export function usedUp(message = 'This link has been used as many times as it allows. Ask the person who shared it for a new one.'): Gone {
  return new Gone('link_used_up', message);
}

export function rulesOf(row: ShareLinkRow): LinkRules {
  return { allowedDomains: JSON.parse(row.allowed_domains) as string[], membersOnly: row.members_only === 1 };
}

export function linkUrl(ctx: Context, token: string): string {
  return appLink(ctx, `/l#token=${token}`);
}

export type LinkLevel = Extract<Level, 'read' | 'annotate'>;

export function linkLevel(row: ShareLinkRow): LinkLevel {
  return levelOf(row.level) === 'annotate' ? 'annotate' : 'read';
}

export function linkView(row: ShareLinkWithCreator, now: number) {
  const rules = rulesOf(row);
  return {
    id: row.id,
    datasetId: row.dataset_id,
    name: row.name,
    level: linkLevel(row),
    expiresAt: iso(row.expires_at),
    maxUses: row.max_uses,
    uses: Number(row.uses),
    allowedDomains: rules.allowedDomains,
    membersOnly: rules.membersOnly,
    status: linkStatus(row, now),
    createdBy: { id: row.created_by, name: row.creator_name ?? '' },
    createdAt: iso(row.created_at),
    revokedAt: iso(row.revoked_at),
  };
}

export type LinkView = ReturnType<typeof linkView>;
