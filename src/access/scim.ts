import { Forbidden } from '../errors.js';
import type { Db } from '../store/database.js';
import { type Membership, requireOrgMember } from './org.js';
import { assertFullScope } from './scope.js';

/** Who may connect the organization's directory: provisioning creates and removes members. */
const provisioningActions = {
  'org.manageProvisioning': ({ role }: Membership) => role === 'admin',
} as const;

export type ProvisioningAction = keyof typeof provisioningActions;

export async function authorizeProvisioning(db: Db, actorId: string, orgId: string, action: ProvisioningAction): Promise<Membership> {
  const membership = await requireOrgMember(db, actorId, orgId);
  if (!provisioningActions[action](membership)) throw new Forbidden('Only organization admins can manage provisioning.');
  assertFullScope(actorId);
  return membership;
}
