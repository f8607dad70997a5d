import type { Db } from '../store/database.js';
import { findMembership } from '../store/memberships.js';
import type { OrgRole } from './levels.js';

export interface Membership {
  orgId: string;
  role: OrgRole;
  processDatasets: boolean;
}

/** Admins of an organization may process its datasets; a member, when given the capability (`process_datasets` = 1). */
export function mayProcessDatasets(role: OrgRole | null, capability: number | null | undefined): boolean {
  return role === 'admin' || (role === 'member' && Number(capability) === 1);
}

export async function membershipOf(db: Db, userId: string, orgId: string): Promise<Membership | null> {
  const row = await findMembership(db, orgId, userId);
  return row ? { orgId, role: row.role, processDatasets: mayProcessDatasets(row.role, row.process_datasets) } : null;
}
