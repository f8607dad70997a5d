import { Forbidden, NotFound } from '../errors.js';
import type { Db } from '../store/database.js';
import type { OrgRole } from './levels.js';
import { assertFullScope } from './scope.js';

export interface Membership {
  orgId: string;
  role: OrgRole;
  processDatasets: boolean;
}

export async function membershipOf(db: Db, userId: string, orgId: string): Promise<Membership | null> {
  const row = await db
    .selectFrom('org_members')
    .select(['role', 'process_datasets'])
    .where('org_id', '=', orgId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return row ? { orgId, role: row.role, processDatasets: row.role === 'admin' || row.process_datasets === 1 } : null;
}

/** An organization the user does not belong to does not exist for them. */
export async function requireOrgMember(db: Db, userId: string, orgId: string): Promise<Membership> {
  const membership = await membershipOf(db, userId, orgId);
  if (!membership) throw new NotFound('Organization');
  return membership;
}

export async function requireOrgAdmin(db: Db, userId: string, orgId: string): Promise<Membership> {
  const membership = await requireOrgMember(db, userId, orgId);
  if (membership.role !== 'admin') throw new Forbidden('Only organization admins can do that.');
  assertFullScope(userId);
  return membership;
}

/** Decisions about one member of an organization, by what the caller is to them. */
const memberActions = {
  /** Removing a member, or seeing what removing them would take away: an org admin for anyone, a member for themself. */
  'member.remove': ({ role, self }: { role: OrgRole; self: boolean }) => role === 'admin' || self,
} as const;

export type MemberAction = keyof typeof memberActions;

export async function authorizeMemberAction(
  db: Db,
  actorId: string,
  orgId: string,
  userId: string,
  action: MemberAction,
): Promise<Membership> {
  const membership = await requireOrgMember(db, actorId, orgId);
  if (!memberActions[action]({ role: membership.role, self: actorId === userId })) {
    throw new Forbidden('Only organization admins can do that.');
  }
  return membership;
}
