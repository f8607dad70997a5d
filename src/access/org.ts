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
