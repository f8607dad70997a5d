import { datasetNameKey } from '../../src/access/inventory.js';
import type { Db } from '../../src/store/database.js';

type Visibility = 'organization' | 'admins' | 'external';

/** A datasets row of `name` in `orgId`, sorted and searched by its lower-cased name. */
export function datasetRow(id: string, orgId: string, name: string, visibility: Visibility) {
  return {
    id,
    org_id: orgId,
    name,
    name_key: datasetNameKey(name),
    visibility,
    description: '',
    predecessor_id: null,
    item_count: 0,
    created_at: 0,
    updated_at: 0,
  };
}

/** An org_members row: `userId` a plain member of `orgId`. */
export function membershipRow(orgId: string, userId: string) {
  return { org_id: orgId, user_id: userId, role: 'member' as const, process_datasets: 0, created_at: 0 };
}

/** A user_grants row: `userId` holds `level` on the dataset, with no expiry, never used. */
export function userGrantRow(datasetId: string, userId: string, level = 1) {
  return { dataset_id: datasetId, user_id: userId, level, expires_at: null, granted_by: null, created_at: 0, last_used_at: null };
}

/** An organization, a user and their plain membership of it, written as rows: what a test of the store's reads starts from. */
export async function memberRows(db: Db, orgId: string, userId: string): Promise<void> {
  await db.insertInto('orgs').values({ id: orgId, name: orgId, created_at: 0 }).execute();
  await db
    .insertInto('users')
    .values({ id: userId, email: `${userId}@example.test`, name: userId, password_hash: 'x', created_at: 0 })
    .execute();
  await db.insertInto('org_members').values(membershipRow(orgId, userId)).execute();
}
