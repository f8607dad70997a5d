import { authorizeOrgAction } from '../access/authorize.js';
import { assertMayMakeProvisioningToken } from '../access/provisioning.js';
import type { Actor } from '../access/scope.js';
import { recordEvent } from '../audit/record.js';
import { type Context, inTransaction } from '../context.js';
import { InvalidRequest, NotFound } from '../errors.js';
import { hashSecret } from '../secrets.js';
import {
  insertScimToken,
  liveScimTokenByHash,
  liveScimTokens,
  revokeScimTokenRow,
  type ScimTokenRow,
  touchScimToken,
} from '../store/scim.js';

export const SCIM_TOKEN_PREFIX = 'tss_';

export type ScimToken = ScimTokenRow;

export async function createScimToken(
  ctx: Context,
  actor: Actor,
  user: { emailVerified: boolean },
  orgId: string,
  rawName: string,
): Promise<ScimToken & { token: string }> {
  const actorId = actor.id;
  return inTransaction(ctx, async (tx) => {
    await authorizeOrgAction(tx, actor, orgId, 'org.manageProvisioning');
    assertMayMakeProvisioningToken(user);
    const name = rawName.trim();
    if (!name) throw new InvalidRequest('Give the token a name, e.g. the directory it is for.', { field: 'name' });
    const token = `${SCIM_TOKEN_PREFIX}${ctx.random.secret()}`;
    const at = ctx.clock.now();
    const row = { id: ctx.random.id('sct'), orgId, name, createdAt: at, lastUsedAt: null };
    await insertScimToken(tx, { id: row.id, orgId, name, tokenHash: hashSecret(token), createdBy: actorId, at });
    await recordEvent(tx, ctx.random, {
      orgId,
      at,
      actorId,
      action: 'scim_token.created',
      subject: `scim_token:${row.id}`,
      after: { name },
    });
    return { ...row, token };
  });
}

export async function listScimTokens(ctx: Context, actor: Actor, orgId: string): Promise<ScimToken[]> {
  await authorizeOrgAction(ctx.db, actor, orgId, 'org.manageProvisioning');
  return liveScimTokens(ctx.db, orgId);
}

/** A revoked token is refused on its next request: every request looks the token up. */
export async function revokeScimToken(ctx: Context, actor: Actor, orgId: string, tokenId: string): Promise<void> {
  await inTransaction(ctx, async (tx) => {
    await authorizeOrgAction(tx, actor, orgId, 'org.manageProvisioning');
    const at = ctx.clock.now();
    const revoked = await revokeScimTokenRow(tx, orgId, tokenId, at);
    if (!revoked) throw new NotFound('Token');
    await recordEvent(tx, ctx.random, {
      orgId,
      at,
      actorId: actor.id,
      action: 'scim_token.revoked',
      subject: `scim_token:${tokenId}`,
      before: { name: revoked.name },
    });
  });
}

/** The live token a SCIM request carries, or null. Last use is kept to the minute. */
export async function scimTokenOf(ctx: Context, token: string): Promise<ScimToken | null> {
  if (!token.startsWith(SCIM_TOKEN_PREFIX)) return null;
  const found = await liveScimTokenByHash(ctx.db, hashSecret(token));
  if (!found) return null;
  const now = ctx.clock.now();
  if (found.lastUsedAt === null || found.lastUsedAt < now - 60_000) await touchScimToken(ctx.db, found.id, now);
  return found;
}
