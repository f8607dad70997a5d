import { notifyManager, QueryClient, queryOptions } from '@tanstack/react-query';
import { api, cancellable, linkApi, ssoApi, type Visibility } from './api';

// The cache tells the pages of a change before the browser paints or handles anything else (by
// default it tells them in a later task). A controlled checkbox or select that changes the cache
// in its handler (showAtOnce) would otherwise show its old state again until that task ran.
notifyManager.setScheduler(queueMicrotask);

/**
 * What the pages read from the server, each under one key: a page asks by key, answers are shared
 * and cached, a request whose key changed is cancelled, and a change invalidates the keys it touched.
 */
export const queryClient = new QueryClient({
  defaultOptions: {
    // A refused request is an answer (no access, not found): asking again would not change it.
    queries: { retry: false, refetchOnWindowFocus: false },
  },
});

/** The keys, from the widest to the narrowest: invalidating a dataset's key refreshes all that is shown of it. */
export const keys = {
  inventory: ['inventory'] as const,
  dataset: (id: string) => ['dataset', id] as const,
  sharing: (id: string) => ['dataset', id, 'sharing'] as const,
  lineage: (id: string) => ['dataset', id, 'lineage'] as const,
  links: (id: string) => ['dataset', id, 'links'] as const,
  explain: (id: string, userId: string) => ['dataset', id, 'access', userId] as const,
  org: (id: string) => ['org', id] as const,
  orgInvitations: (id: string) => ['org', id, 'invitations'] as const,
  members: (id: string) => ['org', id, 'members'] as const,
  teams: (id: string) => ['org', id, 'teams'] as const,
  memberList: (id: string) => ['org', id, 'members', 'all'] as const,
  team: (id: string) => ['team', id] as const,
  audit: (orgId: string) => ['org', orgId, 'audit'] as const,
  history: (datasetId: string) => ['dataset', datasetId, 'history'] as const,
  invitation: (token: string) => ['invitation', token] as const,
  scimTokens: (orgId: string) => ['org', orgId, 'scim-tokens'] as const,
  webhooks: (orgId: string) => ['org', orgId, 'webhooks'] as const,
  accessReview: (orgId: string) => ['org', orgId, 'access-review'] as const,
  undelivered: (orgId: string) => ['org', orgId, 'undelivered'] as const,
  datasetProjects: (id: string) => ['dataset', id, 'projects'] as const,
  items: (id: string) => ['dataset', id, 'items'] as const,
  layers: (id: string) => ['dataset', id, 'layers'] as const,
  projects: (orgId: string) => ['org', orgId, 'projects'] as const,
  project: (id: string) => ['project', id] as const,
  tokens: ['me', 'tokens'] as const,
  ssoLink: ['me', 'sso'] as const,
  sessions: ['me', 'sessions'] as const,
};

/**
 * Shows a change under `key` at once, before the server answers; the refresh that follows the
 * answer confirms or undoes it. A fetch of the key already under way is cancelled first: landing
 * after the change, it would undo what is shown. Both happen in the caller's event: cancelling
 * puts the key back as it was before that fetch there and then, and a change shown after an
 * await would let the control show its old state until the next render.
 */
export function showAtOnce<T>(client: QueryClient, key: readonly unknown[], update: (current: T | undefined) => T | undefined): void {
  void client.cancelQueries({ queryKey: key });
  client.setQueryData<T>(key, update);
}

/** One query of the API: its key, and the call, cancelled with the query. */
const ask = <T>(queryKey: readonly unknown[], call: () => Promise<T>) =>
  queryOptions({ queryKey, queryFn: ({ signal }) => cancellable(signal, call) });

export const queries = {
  dataset: (id: string) => ask(keys.dataset(id), () => api.dataset(id)),
  sharing: (id: string) => ask(keys.sharing(id), () => api.sharing(id)),
  lineage: (id: string) => ask(keys.lineage(id), () => api.lineage(id)),
  explain: (id: string, userId: string) => ask(keys.explain(id, userId), () => api.explain(id, userId)),
  orgInvitations: (orgId: string) => ask(keys.orgInvitations(orgId), () => api.orgInvitations(orgId)),
  teams: (orgId: string) => ask(keys.teams(orgId), () => api.teams(orgId)),
  members: (orgId: string) => ask(keys.members(orgId), () => api.members(orgId)),
  team: (teamId: string) => ask(keys.team(teamId), () => api.team(teamId)),
  datasetProjects: (id: string) => ask(keys.datasetProjects(id), () => api.datasetProjects(id)),
  projects: (orgId: string) => ask(keys.projects(orgId), () => api.projects(orgId)),
  project: (id: string) => ask(keys.project(id), () => api.project(id)),
  /** Who gains and who loses access if the dataset's tier becomes `visibility` (asked, not done). */
  tierPreview: (id: string, visibility: Visibility) => ask(['dataset', id, 'preview', visibility], () => api.preview(id, { visibility })),
  removalPreview: (orgId: string, userId: string) =>
    ask(['org', orgId, 'removal-preview', userId], () => api.removalPreview(orgId, userId)),
  signInProviders: () =>
    queryOptions({
      queryKey: ['sign-in-providers'],
      queryFn: () => ssoApi.providers().catch(() => ({ oidc: null, passwordLogin: true })),
      staleTime: Number.POSITIVE_INFINITY,
    }),
  ssoLink: () => ask(keys.ssoLink, () => ssoApi.link()),
  shareLink: (token: string) => ask(['share-link', token], () => linkApi.lookup(token)),
  invitation: (token: string) => ask(keys.invitation(token), () => api.lookupInvitation(token)),
};
