import { authorizeOrgAction, orgActionsOf } from '../access/authorize.js';
import type { Level, OrgRole } from '../access/levels.js';
import { mayProcessDatasets, membershipOf } from '../access/org.js';
import type { OrgAction } from '../access/policy.js';
import type { Actor } from '../access/scope.js';
import { recordEvent, recordEvents } from '../audit/record.js';
import { iso } from '../clock.js';
import { type Context, inTransaction } from '../context.js';
import { Conflict, InvalidRequest, NotFound } from '../errors.js';
import type { Random } from '../secrets.js';
import type { Db } from '../store/database.js';
import { directGrantsInOrg, revokeUserGrantsInOrg } from '../store/grants.js';
import {
  addMembership,
  adminCount,
  deleteMembership,
  findMember,
  type MemberRecord,
  memberPage,
  orgsOfUser,
  updateMembership,
} from '../store/memberships.js';
import { findOrg, insertOrg, lockOrg } from '../store/orgs.js';
import { type Page, pageOf } from '../store/pagination.js';
import { forgetProvisioned } from '../store/scim.js';
import { leaveTeams, teamsOfUserInOrg } from '../store/teams.js';
import { type User, userOf } from '../store/users.js';

export interface Org {
  id: string;
  name: string;
}

export interface Member {
  user: User;
  role: OrgRole;
  processDatasets: boolean;
  joinedAt: number;
}

function requireName(raw: string, what: string): string {
  const name = raw.trim();
  if (!name) throw new InvalidRequest(`The ${what} name cannot be empty.`, { field: 'name' });
  return name;
}

export async function createOrg(
  ctx: Pick<Context, 'db' | 'clock' | 'random'>,
  actor: Actor,
  rawName: string,
): Promise<Org & { allowedActions: OrgAction[] }> {
  const actorId = actor.id;
  const org = { id: ctx.random.id('org'), name: requireName(rawName, 'organization') };
  const now = ctx.clock.now();
  await inTransaction(ctx, async (tx) => {
    await insertOrg(tx, org, now);
    await addMembership(tx, org.id, actorId, 'admin', now);
    await recordEvent(tx, ctx.random, {
      orgId: org.id,
      at: now,
      actorId,
      action: 'member.added',
      subject: `user:${actorId}`,
      after: { role: 'admin' },
    });
  });
  return { ...org, allowedActions: orgActionsOf(actor, { role: 'admin', processDatasets: true }) };
}

export async function getOrg(ctx: Context, actor: Actor, orgId: string): Promise<Org & { role: OrgRole; allowedActions: OrgAction[] }> {
  const membership = await authorizeOrgAction(ctx.db, actor, orgId, 'org.read');
  const org = await findOrg(ctx.db, orgId);
  if (!org) throw new NotFound('Organization');
  return { ...org, role: membership.role, allowedActions: orgActionsOf(actor, membership) };
}

export async function listMyOrgs(ctx: Context, actor: Actor) {
  const rows = await orgsOfUser(ctx.db, actor.id);
  return rows.map((r) => {
    const membership = { role: r.role, processDatasets: mayProcessDatasets(r.role, r.process_datasets) };
    return { id: r.id, name: r.name, ...membership, allowedActions: orgActionsOf(actor, membership) };
  });
}

function memberOf(row: MemberRecord): Member {
  return {
    user: userOf(row),
    role: row.role,
    processDatasets: mayProcessDatasets(row.role, row.process_datasets),
    joinedAt: row.created_at,
  };
}

export async function listMembers(
  ctx: Context,
  actor: Actor,
  orgId: string,
  page: { limit: number; cursor?: string | undefined; q?: string | undefined },
): Promise<Page<Member>> {
  await authorizeOrgAction(ctx.db, actor, orgId, 'org.read');
  const rows = await memberPage(ctx.db, orgId, page);
  return pageOf(rows, page.limit, (r) => [r.name, r.id], memberOf);
}

async function memberRow(db: Db, orgId: string, userId: string): Promise<Member | null> {
  const row = await findMember(db, orgId, userId);
  return row ? memberOf(row) : null;
}

export async function updateMember(
  ctx: Context,
  actor: Actor,
  orgId: string,
  userId: string,
  change: { role?: OrgRole | undefined; processDatasets?: boolean | undefined },
): Promise<Member> {
  return inTransaction(ctx, async (tx) => {
    await authorizeOrgAction(tx, actor, orgId, 'org.manageMembers');
    await lockOrg(tx, orgId);
    const before = await memberRow(tx, orgId, userId);
    if (!before) throw new NotFound('Member');
    if (change.role === 'member' && before.role === 'admin' && (await adminCount(tx, orgId)) <= 1) {
      throw new Conflict('last_admin', 'An organization needs at least one admin. Make someone else an admin first.');
    }
    const set: { role?: OrgRole; process_datasets?: number } = {};
    if (change.role !== undefined) set.role = change.role;
    if (change.processDatasets !== undefined) set.process_datasets = change.processDatasets ? 1 : 0;
    if (Object.keys(set).length > 0) {
      await updateMembership(tx, orgId, userId, set);
    }
    const after = (await memberRow(tx, orgId, userId))!;
    await recordEvent(tx, ctx.random, {
      orgId,
      at: ctx.clock.now(),
      actorId: actor.id,
      action: 'member.updated',
      subject: `user:${userId}`,
      before: { role: before.role, processDatasets: before.processDatasets },
      after: { role: after.role, processDatasets: after.processDatasets },
    });
    return after;
  });
}

/**
 * Removes a member (an admin removing anyone, or a member leaving) with their team memberships
 * in the org and, unless `keepGrants`, their direct grants on its datasets. Kept grants become
 * external grants: dormant unless a dataset's tier is "external".
 */
export async function removeMember(
  ctx: Context,
  actor: Actor,
  orgId: string,
  userId: string,
  options: { keepGrants?: boolean | undefined } = {},
): Promise<void> {
  await inTransaction(ctx, async (tx) => {
    await authorizeOrgAction(tx, actor, orgId, 'org.removeMember', userId);
    await takeOutOfOrg(tx, ctx.random, { orgId, userId, actorId: actor.id, at: ctx.clock.now(), ...options });
    // Out of the directory's reach too: it may not bring back, and then offboard, someone who left
    // or whom an admin removed (decision 7); they join again by invitation.
    await forgetProvisioned(tx, orgId, userId);
  });
}

/**
 * The removal itself, inside the caller's transaction, for whoever decided it (an admin, the
 * member, or the organization's directory through SCIM, whose token id is then the actor).
 * `after` adds to what the `member.removed` event records.
 */
export async function takeOutOfOrg(
  tx: Db,
  random: Random,
  removal: { orgId: string; userId: string; actorId: string | null; at: number; keepGrants?: boolean | undefined; after?: object },
): Promise<void> {
  const { orgId, userId, actorId, at } = removal;
  await lockOrg(tx, orgId);
  const before = await memberRow(tx, orgId, userId);
  if (!before) throw new NotFound('Member');
  if (before.role === 'admin' && (await adminCount(tx, orgId)) <= 1) {
    throw new Conflict('last_admin', 'An organization needs at least one admin. Make someone else an admin first.');
  }
  const teams = await teamsOfUserInOrg(tx, orgId, userId);
  await leaveTeams(
    tx,
    userId,
    teams.map((t) => t.id),
  );
  const revoked = removal.keepGrants ? [] : await revokeUserGrantsInOrg(tx, orgId, userId, at);
  await deleteMembership(tx, orgId, userId);
  // Leaving the organization leaves its teams: each team's history says so, as a removal would.
  await recordEvents(tx, random, [
    ...teams.map((t) => ({
      orgId,
      at,
      actorId,
      action: 'team.member_removed' as const,
      subject: `user:${userId}`,
      before: { teamId: t.id },
    })),
    ...revoked.map((g) => ({
      orgId,
      at,
      actorId,
      action: 'grant.revoked' as const,
      datasetId: g.datasetId,
      subject: `user:${userId}`,
      before: { level: g.level, expiresAt: iso(g.expiresAt) },
    })),
  ]);
  const after = { ...(removal.keepGrants ? { keptGrants: true } : {}), ...removal.after };
  await recordEvent(tx, random, {
    orgId,
    at,
    actorId,
    action: 'member.removed',
    subject: `user:${userId}`,
    before: { role: before.role, processDatasets: before.processDatasets },
    ...(Object.keys(after).length > 0 ? { after } : {}),
  });
}

export interface RemovalPreview {
  grants: { datasetId: string; datasetName: string; level: Level }[];
  teams: { id: string; name: string }[];
}

/** What removing the member would take away: their direct grants in force on the org's datasets and their teams. */
export async function previewMemberRemoval(ctx: Context, actor: Actor, orgId: string, userId: string): Promise<RemovalPreview> {
  await authorizeOrgAction(ctx.db, actor, orgId, 'org.removeMember', userId);
  if (!(await membershipOf(ctx.db, userId, orgId))) throw new NotFound('Member');
  const grants = await directGrantsInOrg(ctx.db, orgId, userId, ctx.clock.now());
  return {
    grants: grants.map((g) => ({ datasetId: g.datasetId, datasetName: g.datasetName, level: g.level })),
    teams: await teamsOfUserInOrg(ctx.db, orgId, userId),
  };
}

export { requireName };
