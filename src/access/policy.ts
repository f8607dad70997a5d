import { type DomainError, Forbidden, NotFound } from '../errors.js';
import { atLeast, type Level, type OrgRole, rankOf, type Visibility } from './levels.js';
import { type TokenScope, tokenScopeRefusal } from './scope.js';

/**
 * Every decision about who may do what, as one table of named actions. Each entry is a pure
 * requirement on facts already read: the caller's effective level on a dataset (by the rule of
 * rule.ts) and the scope of the token they call with, their role in the organization and its
 * process-datasets capability, the dataset's tier, and whether the caller is the person the
 * action is about. `can` answers yes or no; `refusal` gives the exact answer a refused caller
 * gets, so the routes and the `allowedActions` of a response can never disagree.
 */

/** What a decision about a dataset looks at. */
export interface DatasetFacts {
  /** The caller's own effective level on the dataset, before any token cap; null for none. */
  level: Level | null;
  /** The scope of the caller's access token; null for a session. */
  scope: TokenScope | null;
  orgRole: OrgRole | null;
  /** The caller may process datasets in the dataset's organization (its admins always may). */
  processDatasets: boolean;
  visibility: Visibility;
}

/** What a decision about an organization (or one of its members) looks at. */
export interface OrgFacts {
  /** null: not a member, so the organization does not exist for the caller. */
  role: OrgRole | null;
  scope: TokenScope | null;
  processDatasets: boolean;
  /** The member the action is about is the caller. */
  self: boolean;
}

/** What a decision about a processing job looks at. */
export interface JobFacts {
  /** The caller started the job. */
  starter: boolean;
  /** The caller's role in the job's organization. */
  orgRole: OrgRole | null;
  /** The scope of the caller's access token; null for a session. */
  scope: TokenScope | null;
}

export interface DatasetRule {
  on: 'dataset';
  /** The least level, after the token cap; below `read` the dataset does not exist for the caller. */
  level: Level;
  /** The refusal's words for a reader below the level (instead of naming the level they lack). */
  refusal?: string;
  /** Only the organization's admins, whatever their level on the dataset; the refusal's words. */
  orgAdmin?: string;
  /** Only members of the dataset's organization, whatever their level on the dataset; the refusal's words. */
  member?: string;
  /** Needs the process-datasets capability; the refusal's words. */
  processDatasets?: string;
  /** Needs the user's full level: a session or an admin-scoped token. */
  fullScope?: true;
}

interface OrgRule {
  on: 'org';
  /** The least role; `admin` may be relaxed to the member the action is about by `self`. */
  role: OrgRole;
  /** A member may also do it to themself. */
  self?: true;
  /** The refusal's words for a member without the role. */
  refusal?: string;
  /** Needs the user's full level: a session or an admin-scoped token; not for a member acting on themself (`self`). */
  fullScope?: true;
  /** Changes something: a read-scoped token may not. */
  changes: boolean;
}

interface JobRule {
  on: 'job';
  /** Changes the job: on someone else's job, an org admin's administration, for the full scope only. */
  changes?: true;
}

type Rule = DatasetRule | OrgRule | JobRule;

const ONLY_ORG_ADMINS = 'Only organization admins can do that.';
const ONLY_ORG_ADMINS_CHANGE_TIER = 'Only organization admins change who a dataset is shared with.';

/** The one table. */
export const POLICY = {
  'dataset.read': { on: 'dataset', level: 'read' },
  'dataset.annotate': { on: 'dataset', level: 'annotate' },
  'dataset.edit': { on: 'dataset', level: 'write' },
  'dataset.upload': { on: 'dataset', level: 'write' },
  'dataset.createLayer': { on: 'dataset', level: 'write' },
  'dataset.process': {
    on: 'dataset',
    level: 'write',
    processDatasets: 'Processing datasets needs the organization’s process-datasets permission. Ask an org admin.',
  },
  /** Granting and revoking, invitations, share links and their redemptions, the sharing preview. */
  'dataset.share': { on: 'dataset', level: 'admin' },
  'dataset.setVisibility': { on: 'dataset', level: 'read', orgAdmin: ONLY_ORG_ADMINS_CHANGE_TIER, fullScope: true },
  /**
   * What a tier change would do, changing nothing: any dataset admin may ask an org admin for one
   * and see its effect first, but the answer names the organization's members who would gain or
   * lose, so an admin from outside the organization may not.
   */
  'dataset.previewVisibility': {
    on: 'dataset',
    level: 'admin',
    member: "Only members of the dataset's organization can see what a tier change would do: it names the organization's members.",
  },
  'dataset.delete': { on: 'dataset', level: 'admin' },
  /** The dataset's history in the audit log. */
  'dataset.readAudit': { on: 'dataset', level: 'admin' },
  /** Why someone else has access (anyone may ask about themself). */
  'dataset.explainAccess': { on: 'dataset', level: 'admin', refusal: 'Only dataset admins can see why someone else has access.' },

  'org.read': { on: 'org', role: 'member', changes: false },
  'org.createDataset': { on: 'org', role: 'member', changes: true },
  /** Creating a dataset at another tier than the default (admins only). */
  'org.createSharedDataset': {
    on: 'org',
    role: 'admin',
    refusal: 'Only organization admins can share a dataset with the whole organization.',
    fullScope: true,
    changes: true,
  },
  'org.manageProjects': { on: 'org', role: 'member', changes: true },
  'org.manageMembers': { on: 'org', role: 'admin', refusal: ONLY_ORG_ADMINS, fullScope: true, changes: true },
  /** Removing a member, or seeing what it would take away: an admin for anyone, a member for themself. */
  'org.removeMember': { on: 'org', role: 'admin', self: true, refusal: ONLY_ORG_ADMINS, fullScope: true, changes: true },
  /** Inviting to the organization, its invitations and their undelivered mail. */
  'org.manageInvitations': { on: 'org', role: 'admin', refusal: ONLY_ORG_ADMINS, fullScope: true, changes: true },
  'org.manageTeams': { on: 'org', role: 'admin', refusal: ONLY_ORG_ADMINS, fullScope: true, changes: true },
  'org.readAudit': {
    on: 'org',
    role: 'admin',
    refusal: 'Only organization admins can read the whole audit log; pass datasetId for a dataset you administer.',
    fullScope: true,
    changes: false,
  },
  /** The whole log as CSV. */
  'org.exportAudit': { on: 'org', role: 'admin', refusal: ONLY_ORG_ADMINS, fullScope: true, changes: false },
  /** The access review: external and unused grants. */
  'org.reviewAccess': { on: 'org', role: 'admin', refusal: ONLY_ORG_ADMINS, fullScope: true, changes: false },
  /** Webhooks see every event of the organization. */
  'org.manageWebhooks': {
    on: 'org',
    role: 'admin',
    refusal: 'Only organization admins can manage webhooks.',
    fullScope: true,
    changes: true,
  },
  /** Connecting the organization's directory: provisioning creates and removes members. */
  'org.manageProvisioning': {
    on: 'org',
    role: 'admin',
    refusal: 'Only organization admins can manage provisioning.',
    fullScope: true,
    changes: true,
  },

  /** A job exists for its starter and its organization's admins only; whoever sees it may stop it. */
  'job.read': { on: 'job' },
  'job.cancel': { on: 'job', changes: true },
} as const satisfies Record<string, Rule>;

export type Action = keyof typeof POLICY;
type ResourceOf<A extends Action> = (typeof POLICY)[A]['on'];
interface FactsByResource {
  dataset: DatasetFacts;
  org: OrgFacts;
  job: JobFacts;
}
export type FactsFor<A extends Action> = FactsByResource[ResourceOf<A>];

export const ACTIONS = Object.keys(POLICY) as Action[];
export type DatasetAction = { [A in Action]: ResourceOf<A> extends 'dataset' ? A : never }[Action];
export type OrgAction = { [A in Action]: ResourceOf<A> extends 'org' ? A : never }[Action];
export type JobAction = { [A in Action]: ResourceOf<A> extends 'job' ? A : never }[Action];
export const DATASET_ACTIONS = ACTIONS.filter((a) => POLICY[a].on === 'dataset') as DatasetAction[];
export const ORG_ACTIONS = ACTIONS.filter((a) => POLICY[a].on === 'org') as OrgAction[];

/** The level the caller acts with: their own, capped by their token's scope. */
export function actingLevel(level: Level | null, scope: TokenScope | null): Level | null {
  if (level === null || scope === null) return level;
  return rankOf(scope) < rankOf(level) ? scope : level;
}

function fullScope(scope: TokenScope | null): boolean {
  return scope === null || scope === 'admin';
}

/**
 * A refusal, as the function that builds its error: `can` and `allowedActions` only ask whether
 * there is one, and an error (with its stack) is built only for the request that gets it.
 */
type Refusal = () => DomainError;

const datasetNotFound: Refusal = () => new NotFound('Dataset');
const forbidden =
  (message: string): Refusal =>
  () =>
    new Forbidden(message);
const scopeRefusal =
  (scope: TokenScope): Refusal =>
  () =>
    tokenScopeRefusal(scope);

function datasetRefusal(rule: DatasetRule, facts: DatasetFacts): Refusal | null {
  const acting = actingLevel(facts.level, facts.scope);
  if (acting === null) return datasetNotFound;
  if (!atLeast(acting, rule.level)) {
    if (rule.refusal !== undefined) return forbidden(rule.refusal);
    if (facts.scope !== null && atLeast(facts.level, rule.level)) return scopeRefusal(facts.scope);
    return forbidden(`This needs ${rule.level} access to the dataset; you have ${acting}.`);
  }
  if (rule.orgAdmin !== undefined && facts.orgRole !== 'admin') return forbidden(rule.orgAdmin);
  if (rule.member !== undefined && facts.orgRole === null) return forbidden(rule.member);
  if (rule.processDatasets !== undefined && !facts.processDatasets) return forbidden(rule.processDatasets);
  if (rule.fullScope && facts.scope !== null && !fullScope(facts.scope)) return scopeRefusal(facts.scope);
  return null;
}

const orgNotFound: Refusal = () => new NotFound('Organization');

function orgRefusal(rule: OrgRule, facts: OrgFacts): Refusal | null {
  if (facts.role === null) return orgNotFound;
  const roleFits = rule.role === 'member' || facts.role === 'admin' || (rule.self === true && facts.self);
  if (!roleFits) return forbidden(rule.refusal ?? ONLY_ORG_ADMINS);
  // Leaving is the member's own affair, not administering the organization.
  const administers = rule.fullScope === true && !(rule.self === true && facts.self);
  if (facts.scope !== null && ((administers && !fullScope(facts.scope)) || (rule.changes && facts.scope === 'read'))) {
    return scopeRefusal(facts.scope);
  }
  return null;
}

const jobNotFound: Refusal = () => new NotFound('Job');

function jobRefusal(rule: JobRule, facts: JobFacts): Refusal | null {
  if (!facts.starter && facts.orgRole !== 'admin') return jobNotFound;
  if (facts.scope !== null && rule.changes && (facts.scope === 'read' || (!facts.starter && !fullScope(facts.scope)))) {
    return scopeRefusal(facts.scope);
  }
  return null;
}

function refusalOf(action: Action, facts: FactsFor<Action>): Refusal | null {
  const rule: Rule = POLICY[action];
  switch (rule.on) {
    case 'dataset':
      return datasetRefusal(rule, facts as DatasetFacts);
    case 'org':
      return orgRefusal(rule, facts as OrgFacts);
    case 'job':
      return jobRefusal(rule, facts as JobFacts);
  }
}

/** The answer a caller with `facts` gets when asking for `action`: null when allowed. Pure. */
export function refusal<A extends Action>(action: A, facts: FactsFor<A>): DomainError | null {
  return refusalOf(action, facts)?.() ?? null;
}

export function can<A extends Action>(action: A, facts: FactsFor<A>): boolean {
  return refusalOf(action, facts) === null;
}

/** Throws the refusal of `action` unless `facts` allow it. */
export function authorize<A extends Action>(action: A, facts: FactsFor<A>): void {
  const refused = refusalOf(action, facts);
  if (refused) throw refused();
}

/** The answers for each combination of dataset facts met so far: a few hundred at most. */
const datasetAnswers = new Map<string, readonly DatasetAction[]>();

/** Every field of DatasetFacts makes the key (`satisfies` refuses one left out). */
const DATASET_FACT_FIELDS = Object.keys({
  level: true,
  scope: true,
  orgRole: true,
  processDatasets: true,
  visibility: true,
} satisfies Record<keyof DatasetFacts, true>) as (keyof DatasetFacts)[];

/**
 * The actions on a dataset the facts allow, in table order: a response's `allowedActions`. The
 * policy is pure, so the answer for the same facts is kept: a page of fifty datasets asks it
 * fifty times over a handful of combinations.
 */
export function allowedDatasetActions(facts: DatasetFacts): DatasetAction[] {
  const key = DATASET_FACT_FIELDS.map((field) => facts[field]).join(' ');
  let answer = datasetAnswers.get(key);
  if (answer === undefined) {
    answer = DATASET_ACTIONS.filter((action) => can(action, facts));
    datasetAnswers.set(key, answer);
  }
  return [...answer];
}

/** The actions on an organization the facts allow (about other members: `self` is false). */
export function allowedOrgActions(facts: Omit<OrgFacts, 'self'>): OrgAction[] {
  return ORG_ACTIONS.filter((action) => can(action, { ...facts, self: false }));
}

/**
 * The tier rule for direct grants: someone outside the dataset's organization may be given one
 * (by a grant, an invitation or a share link) only while the dataset is shared with external
 * accessors. Once given, such a grant is dormant whenever the tier is not (rule.ts).
 */
export function tierAdmitsDirectGrant(isMember: boolean, visibility: Visibility): boolean {
  return isMember || visibility === 'external';
}
