import { type Level, type OrgSummary, type Role, rank } from './api';
import { useSession } from './session';

/** What the server says the caller may do with a dataset or an organization (API.md, "allowedActions"). */
export type DatasetAction =
  | 'dataset.read'
  | 'dataset.annotate'
  | 'dataset.edit'
  | 'dataset.upload'
  | 'dataset.createLayer'
  | 'dataset.process'
  | 'dataset.share'
  | 'dataset.setVisibility'
  | 'dataset.delete';
export type OrgAction = 'org.manageMembers' | 'org.manageTeams' | 'org.readAudit' | 'dataset.setVisibility';

interface Allowing {
  allowedActions?: readonly string[];
}
type DatasetLike = Allowing & { orgId: string; myLevel: Level | null };
type OrgLike = Allowing & { role: Role };

/**
 * Whether a button is shown: the server's `allowedActions` of the resource decide. Every place the
 * UI offers an action asks here, and nowhere else looks at levels or roles for it.
 */
export function allows(dataset: DatasetLike, action: DatasetAction, organizations?: readonly OrgSummary[]): boolean;
export function allows(org: OrgLike, action: OrgAction): boolean;
export function allows(
  resource: DatasetLike | OrgLike,
  action: DatasetAction | OrgAction,
  organizations: readonly OrgSummary[] = [],
): boolean {
  const allowed = (resource as Allowing).allowedActions;
  if (allowed) return allowed.includes(action);
  return 'myLevel' in resource ? beforeAllowedActions(resource, action as DatasetAction, organizations) : resource.role === 'admin';
}

/** The same decisions with the session's organizations at hand, for components. */
export function useAllows() {
  const { organizations } = useSession();
  return (dataset: DatasetLike, action: DatasetAction) => allows(dataset, action, organizations);
}

/**
 * For a server that does not send `allowedActions` yet: what the level and the organization role
 * stood for. It goes once every response carries them.
 */
const LEVEL_FOR: Record<DatasetAction, Level> = {
  'dataset.read': 'read',
  'dataset.annotate': 'annotate',
  'dataset.edit': 'write',
  'dataset.upload': 'write',
  'dataset.createLayer': 'write',
  'dataset.process': 'write',
  'dataset.share': 'admin',
  'dataset.setVisibility': 'admin',
  'dataset.delete': 'admin',
};

function beforeAllowedActions(dataset: DatasetLike, action: DatasetAction, organizations: readonly OrgSummary[]): boolean {
  const org = organizations.find((o) => o.id === dataset.orgId);
  if (action === 'dataset.setVisibility') return org?.role === 'admin';
  if (action === 'dataset.process' && !org?.processDatasets) return false;
  return rank(dataset.myLevel) >= rank(LEVEL_FOR[action]);
}
