import type { Db } from '../store/database.js';
import { membershipsOfUser } from '../store/memberships.js';
import { type AuthorizedDataset, authorizeDataset } from './check.js';
import type { Level, Visibility } from './levels.js';
import { type Membership, mayProcessDatasets, membershipOf } from './org.js';
import {
  allowedDatasetActions,
  allowedOrgActions,
  authorize,
  type DatasetAction,
  type DatasetFacts,
  type DatasetRule,
  type JobAction,
  type OrgAction,
  type OrgFacts,
  POLICY,
} from './policy.js';
import { type AccessFacts, effectiveLevel } from './rule.js';
import type { Actor } from './scope.js';

/**
 * The policy (policy.ts) applied to facts read from the database. Every route's decision goes
 * through these: they read what the table's entry looks at, and throw its refusal.
 */

/** Whether `userId` may process datasets in each of their organizations (one statement). */
export async function capabilitiesOf(db: Db, userId: string): Promise<Map<string, Membership>> {
  const rows = await membershipsOfUser(db, userId);
  return new Map(
    rows.map((r) => [r.org_id, { orgId: r.org_id, role: r.role, processDatasets: mayProcessDatasets(r.role, r.process_datasets) }]),
  );
}

export function datasetFactsOf(actor: Actor, facts: AccessFacts, processDatasets: boolean): DatasetFacts {
  return {
    level: effectiveLevel(facts),
    scope: actor.scope,
    orgRole: facts.orgRole,
    processDatasets,
    visibility: facts.visibility,
  };
}

/**
 * Authorizes `action` on a dataset: one that the caller cannot read is not found (404), one
 * they can read but may not act on is forbidden (403, `token_scope` when only their token's
 * scope stands in the way). The level gate (check.ts) also counts the grant's use.
 */
export async function authorizeDatasetAction(
  db: Db,
  actor: Actor,
  datasetId: string,
  action: DatasetAction,
  now: number,
): Promise<AuthorizedDataset> {
  const rule: DatasetRule = POLICY[action];
  const access = await authorizeDataset(db, actor, datasetId, rule.level, now);
  authorize(action, datasetFactsOf(actor, access.facts, access.processDatasets));
  return access;
}

/** The actions a caller may take on a dataset they already hold the facts of (the check reads them all). */
export function datasetActionsOf(actor: Actor, facts: AccessFacts, processDatasets: boolean): DatasetAction[] {
  return allowedDatasetActions(datasetFactsOf(actor, facts, processDatasets));
}

/**
 * The actions the caller may take on each of many datasets, from the level the rule gives them
 * (before any token cap) and the tier, with one read of the caller's memberships for them all.
 */
export async function datasetActionsOfMany(
  db: Db,
  actor: Actor,
  datasets: { orgId: string; level: Level | null; visibility: Visibility }[],
): Promise<DatasetAction[][]> {
  if (datasets.length === 0) return [];
  const memberships = await capabilitiesOf(db, actor.id);
  const scope = actor.scope;
  return datasets.map(({ orgId, level, visibility }) => {
    const membership = memberships.get(orgId);
    return allowedDatasetActions({
      level,
      scope,
      orgRole: membership?.role ?? null,
      processDatasets: membership?.processDatasets ?? false,
      visibility,
    });
  });
}

/** The actions a member may take on their organization. */
export function orgActionsOf(actor: Actor, membership: Pick<Membership, 'role' | 'processDatasets'>): OrgAction[] {
  return allowedOrgActions({ role: membership.role, processDatasets: membership.processDatasets, scope: actor.scope });
}

/** The caller's facts about an organization; `subjectId` is the member an action on one member is about. */
export function orgFactsOf(actor: Actor, membership: Membership | null, subjectId?: string): OrgFacts {
  return {
    role: membership?.role ?? null,
    scope: actor.scope,
    processDatasets: membership?.processDatasets ?? false,
    self: subjectId === actor.id,
  };
}

/**
 * Authorizes `action` on an organization: to a non-member it does not exist (404); a member
 * without the role gets 403, a token without the scope 403 `token_scope`.
 */
export async function authorizeOrgAction(db: Db, actor: Actor, orgId: string, action: OrgAction, subjectId?: string): Promise<Membership> {
  const membership = await membershipOf(db, actor.id, orgId);
  authorize(action, orgFactsOf(actor, membership, subjectId));
  // Allowed, so a member: every organization action needs at least membership.
  return membership!;
}

/** Authorizes `action` on a processing job; to anyone who may not, the job does not exist (404). */
export async function authorizeJobAction(db: Db, actor: Actor, job: { started_by: string; org_id: string }, action: JobAction) {
  const starter = job.started_by === actor.id;
  const orgRole = starter ? null : ((await membershipOf(db, actor.id, job.org_id))?.role ?? null);
  authorize(action, { starter, orgRole, scope: actor.scope });
}
