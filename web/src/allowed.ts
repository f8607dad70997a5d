import type { components } from './generated/api';

/** The names of the server's policy actions (src/access/policy.ts), from the OpenAPI document. */
export type DatasetAction = components['schemas']['DatasetAction'];
export type OrgAction = components['schemas']['OrgAction'];

/**
 * Whether a button is shown: the server's `allowedActions` of the resource decide (API.md,
 * "allowedActions"). Every place the UI offers an action asks here; nothing in the UI looks at
 * levels or roles to decide it.
 */
export function allows(dataset: { allowedActions: readonly DatasetAction[] }, action: DatasetAction): boolean;
export function allows(org: { allowedActions: readonly OrgAction[] }, action: OrgAction): boolean;
export function allows(resource: { allowedActions: readonly string[] }, action: DatasetAction | OrgAction): boolean {
  return resource.allowedActions.includes(action);
}
