import type { Db } from '../store/database.js';
import type { OrgRole } from './levels.js';

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
