import { authorizeDatasetAction } from '../access/authorize.js';
import { type Level, levelOf, rankOf } from '../access/levels.js';
import type { Actor } from '../access/scope.js';
import { normalizeDomain, showUnseen } from '../accounts/validation.js';
import { recordEvent } from '../audit/record.js';
import { iso } from '../clock.js';
import { type Context, inTransaction } from '../context.js';
import { InvalidRequest, NotFound } from '../errors.js';
import { hashSecret } from '../secrets.js';
import type { Db } from '../store/database.js';
import { findLink, insertLink, linksOfDataset, markLinkRevoked, redemptionsOf, type ShareLinkWithCreator } from '../store/links.js';
import { decodeCursor, encodeCursor, type Page } from '../store/pagination.js';
import { LINK_MAX_LIFETIME_MS, type LinkView, linkUrl, linkView } from './model.js';

export interface NewLink {
  name: string;
  level: Extract<Level, 'read' | 'annotate'>;
  expiresAt: string;
  maxUses?: number | null | undefined;
  allowedDomains?: string[] | undefined;
  membersOnly?: boolean | undefined;
}

const DOMAIN = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])$/;

/** "@Partner.org " and "partner.org" are the same domain; anything that is not a domain is refused. */
function normalizedDomains(domains: string[]): string[] {
  const normalized = [...new Set(domains.map(normalizeDomain))];
  const invalid = normalized.filter((d) => !DOMAIN.test(d));
  if (invalid.length > 0) {
    throw new InvalidRequest(`Not a domain: ${invalid.map(showUnseen).join(', ')}. Give domains like example.com.`, {
      field: 'allowedDomains',
      invalid,
    });
  }
  return normalized;
}

function endOf(expiresAt: string, now: number): number {
  const ms = Date.parse(expiresAt);
  if (Number.isNaN(ms)) throw new InvalidRequest('expiresAt must be an ISO-8601 time.', { field: 'expiresAt' });
  if (ms <= now) throw new InvalidRequest('expiresAt must be in the future.', { field: 'expiresAt' });
  if (ms > now + LINK_MAX_LIFETIME_MS) throw new InvalidRequest('A link ends at most 30 days from now.', { field: 'expiresAt' });
  return ms;
}

/** Makes a link; its secret is in the returned url and nowhere else (only its hash is kept). */
export async function createLink(ctx: Context, actor: Actor, datasetId: string, input: NewLink): Promise<LinkView & { url: string }> {
  const actorId = actor.id;
  const now = ctx.clock.now();
  const token = ctx.random.secret();
  const id = ctx.random.id('lnk');
  await inTransaction(ctx, async (tx) => {
    const { dataset } = await authorizeDatasetAction(tx, actor, datasetId, 'dataset.share', now);
    const expiresAt = endOf(input.expiresAt, now);
    const allowedDomains = normalizedDomains(input.allowedDomains ?? []);
    const row = {
      id,
      dataset_id: datasetId,
      org_id: dataset.org_id,
      name: input.name.trim() || 'Link',
      level: rankOf(input.level),
      token_hash: hashSecret(token),
      expires_at: expiresAt,
      max_uses: input.maxUses ?? null,
      allowed_domains: JSON.stringify(allowedDomains),
      members_only: input.membersOnly ? 1 : 0,
      created_by: actorId,
      created_at: now,
    };
    await insertLink(tx, row);
    await recordEvent(tx, ctx.random, {
      orgId: dataset.org_id,
      at: now,
      actorId,
      action: 'link.created',
      datasetId,
      subject: `link:${id}`,
      after: {
        name: row.name,
        level: input.level,
        expiresAt: iso(expiresAt),
        maxUses: row.max_uses,
        allowedDomains,
        membersOnly: row.members_only === 1,
      },
    });
  });
  const created = (await findLink(ctx.db, id))!;
  return { ...linkView(created, now), url: linkUrl(ctx, token) };
}

export async function listLinks(
  ctx: Context,
  actor: Actor,
  datasetId: string,
  page: { limit: number; cursor?: string | undefined },
): Promise<Page<LinkView>> {
  const now = ctx.clock.now();
  await authorizeDatasetAction(ctx.db, actor, datasetId, 'dataset.share', now);
  const after = page.cursor === undefined ? undefined : (decodeCursor(page.cursor, ['number', 'string']) as [number, string]);
  const rows = await linksOfDataset(ctx.db, datasetId, { after, take: page.limit + 1 });
  const last = rows.length > page.limit ? rows[page.limit - 1] : undefined;
  return {
    items: rows.slice(0, page.limit).map((r) => linkView(r, now)),
    nextCursor: last ? encodeCursor([Number(last.created_at), last.id]) : null,
  };
}

/** The link, if the actor may manage its dataset's links; anyone who cannot read the dataset cannot tell it exists. */
async function managedLink(ctx: Context, db: Db, actor: Actor, linkId: string, datasetId?: string): Promise<ShareLinkWithCreator> {
  const link = await findLink(db, linkId);
  if (!link || (datasetId !== undefined && link.dataset_id !== datasetId)) throw new NotFound('Link');
  try {
    await authorizeDatasetAction(db, actor, link.dataset_id, 'dataset.share', ctx.clock.now());
  } catch (error) {
    if (error instanceof NotFound) throw new NotFound('Link');
    throw error;
  }
  return link;
}

/** The link is dead for the very next redemption; grants already given stay (they are revoked as grants). */
export async function revokeLink(ctx: Context, actor: Actor, linkId: string): Promise<void> {
  const actorId = actor.id;
  await inTransaction(ctx, async (tx) => {
    const link = await managedLink(ctx, tx, actor, linkId);
    const now = ctx.clock.now();
    if (!(await markLinkRevoked(tx, link.id, actorId, now))) return;
    await recordEvent(tx, ctx.random, {
      orgId: link.org_id,
      at: now,
      actorId,
      action: 'link.revoked',
      datasetId: link.dataset_id,
      subject: `link:${link.id}`,
      before: { name: link.name, uses: Number(link.uses) },
      after: { name: link.name, revoked: true },
    });
  });
}

export interface RedemptionView {
  user: { id: string; name: string; email?: string };
  redeemedAt: string;
  level: Level;
}

/** Who redeemed a link and when, newest first. */
export async function listRedemptions(
  ctx: Context,
  actor: Actor,
  datasetId: string,
  linkId: string,
  page: { limit: number; cursor?: string | undefined },
): Promise<Page<RedemptionView>> {
  const link = await managedLink(ctx, ctx.db, actor, linkId, datasetId);
  const after = page.cursor === undefined ? undefined : (decodeCursor(page.cursor, ['number', 'string']) as [number, string]);
  const rows = await redemptionsOf(ctx.db, link, { after, take: page.limit + 1 });
  const last = rows.length > page.limit ? rows[page.limit - 1] : undefined;
  return {
    items: rows.slice(0, page.limit).map((r) => ({
      // An outsider's address is shown only while they are a member or hold a grant on this dataset.
      user: { id: r.user_id, name: r.name, ...(Number(r.known) === 1 ? { email: r.email } : {}) },
      redeemedAt: iso(Number(r.redeemed_at)),
      level: levelOf(Number(r.level)) ?? 'read',
    })),
    nextCursor: last ? encodeCursor([Number(last.redeemed_at), last.user_id]) : null,
  };
}
