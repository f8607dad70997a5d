import { Forbidden } from '../errors.js';
import type { Db } from '../store/database.js';
import type { OrgRole } from './levels.js';
import { type Membership, requireOrgMember } from './org.js';
import { assertFullScope } from './scope.js';

/** Who may do what with an organization's webhooks: they see every event of the org, so its admins only. */
const webhookActions = {
  /** Registering, listing, pinging, reading the delivery log, rotating the secret, deleting. */
  'webhook.manage': ({ role }: { role: OrgRole }) => role === 'admin',
} as const;

export type WebhookAction = keyof typeof webhookActions;

/**
 * An organization the caller does not belong to does not exist for them (404); a member who may
 * not gets 403. Organization administration needs the user's full level (a session or an
 * admin-scoped token).
 */
export async function authorizeWebhookAction(db: Db, userId: string, orgId: string, action: WebhookAction): Promise<Membership> {
  const membership = await requireOrgMember(db, userId, orgId);
  if (!webhookActions[action]({ role: membership.role })) throw new Forbidden('Only organization admins can manage webhooks.');
  assertFullScope(userId);
  return membership;
}
