/** The one typed client of the public API. Every change is JSON, as the CSRF rule requires. */

export type Level = 'read' | 'annotate' | 'write' | 'admin';
export type Visibility = 'external' | 'organization' | 'admins';
export type Role = 'admin' | 'member';

export interface User {
  id: string;
  email: string;
  name: string;
}
export interface OrgSummary {
  id: string;
  name: string;
  role: Role;
  processDatasets: boolean;
}
export interface Dataset {
  id: string;
  name: string;
  description: string;
  orgId: string;
  visibility: Visibility;
  predecessorId: string | null;
  itemCount: number;
  createdAt: string;
  updatedAt: string;
  myLevel: Level;
}
export interface InventoryItem extends Dataset {
  orgName: string;
  teams: { id: string; name: string; level: Level }[];
}
export interface Invitation {
  id: string;
  kind: 'dataset' | 'org';
  datasetId?: string;
  orgId: string;
  email: string;
  level?: Level;
  role?: Role;
  status: 'pending' | 'accepted' | 'declined' | 'revoked' | 'expired';
  expiresAt: string;
  invitedBy: { id: string; name: string };
  createdAt: string;
  acceptedAt: string | null;
  delivery: 'queued' | 'sent' | 'failed';
  lastError?: string;
}
export interface UserGrant {
  user: User;
  level: Level;
  external: boolean;
  active: boolean;
  expiresAt: string | null;
  grantedBy: { id: string; name: string } | null;
  createdAt: string;
}
export interface Sharing {
  visibility: Visibility;
  users: UserGrant[];
  teams: { team: { id: string; name: string; memberCount: number }; level: Level; expiresAt: string | null; createdAt: string }[];
  invitations: Invitation[];
}
export interface Member {
  user: User;
  role: Role;
  processDatasets: boolean;
}
export interface Team {
  id: string;
  name: string;
  memberCount: number;
}
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
export interface LevelChange {
  /** No e-mail for someone outside the viewer's organizations who holds no grant on the dataset. */
  user: { id: string; name: string; email?: string; emailVerified?: boolean };
  from: Level | null;
  to: Level | null;
}
export interface AccessPath {
  kind: 'org_admin' | 'visibility' | 'team' | 'direct';
  level: Level;
  team?: { id: string; name: string };
  expiresAt?: string | null;
}
export interface AuditEvent {
  id: string;
  at: string;
  actor: { id: string; name: string } | null;
  action: string;
  datasetId: string | null;
  subject: string;
  subjectName: string | null;
  before: unknown;
  after: unknown;
}
export interface InvitationLookup {
  kind: 'dataset' | 'org';
  email: string;
  level?: Level;
  role?: Role;
  datasetName?: string;
  orgName: string;
  invitedBy: { name: string };
  status: Invitation['status'];
  expiresAt: string;
  /** The invited address already has an account: the page leads with log-in. */
  accountExists?: boolean;
}

export interface Item {
  id: string;
  name: string;
  size: number;
  contentType: string;
  sha256: string;
  createdAt: string;
}
export interface Layer {
  id: string;
  name: string;
  annotationCount: number;
}
export interface Annotation {
  id: string;
  layerId: string;
  itemId: string;
  label: string;
  bbox: [number, number, number, number] | null;
  createdBy: string | null;
  createdAt: string;
}
export interface Project {
  id: string;
  orgId: string;
  name: string;
}
export interface Job {
  id: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed';
  done: number;
  total: number;
  datasetId?: string;
  error?: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    /** Seconds until a 429 may be retried, from the `Retry-After` header. */
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

/** What removing a member takes away: their direct grants on the organization's datasets and their teams. */
export interface RemovalPreview {
  grants: { datasetId: string; datasetName: string; level: Level }[];
  teams: { id: string; name: string }[];
}

export const SIGNED_OUT = 'tessera:signed-out';

/** Fired when the server answers 404 or 403 to anything: a page may re-check that it can still be shown. */
export const NOT_FOUND = 'tessera:not-found';

/** The signal of the query whose request is being started (see `cancellable`). */
let startingWith: AbortSignal | undefined;

/**
 * Starts `call` so that the request it makes is cancelled with `signal`: a query whose key changed
 * or whose page was left does not wait for, nor land, an answer nobody needs.
 */
export function cancellable<T>(signal: AbortSignal, call: () => Promise<T>): Promise<T> {
  startingWith = signal;
  try {
    return call();
  } finally {
    startingWith = undefined;
  }
}

export async function request<T>(method: string, path: string, body?: unknown, signal = startingWith): Promise<T> {
  const response = await fetch(`/api/v1${path}`, {
    method,
    credentials: 'same-origin',
    ...(signal ? { signal } : {}),
    headers: method === 'GET' ? {} : { 'content-type': 'application/json' },
    ...(method === 'GET' ? {} : { body: JSON.stringify(body ?? {}) }),
  });
  // A session that ended elsewhere (logout, password reset): the app goes back to the log-in page.
  if (response.status === 401 && !path.startsWith('/auth/') && path !== '/me') window.dispatchEvent(new Event(SIGNED_OUT));
  // Something on the page vanished (access revoked, dataset deleted): the page checks what it still may show.
  if (response.status === 404 || response.status === 403) window.dispatchEvent(new Event(NOT_FOUND));
  if (response.status === 204 || response.status === 202) return undefined as T;
  const payload = await response.json().catch(() => null);
  if (!response.ok) {
    const error = payload?.error;
    throw new ApiError(
      response.status,
      error?.code ?? 'error',
      error?.message ?? `The server answered ${response.status}.`,
      error?.details,
      Number(response.headers.get('retry-after')) || undefined,
    );
  }
  return payload as T;
}

const q = (params: Record<string, string | undefined | null>) => {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) search.set(k, v);
  const text = search.toString();
  return text ? `?${text}` : '';
};

export const api = {
  me: () => request<{ user: AccountUser; organizations: OrgSummary[] }>('GET', '/me'),
  signup: (body: { email: string; password: string; name: string; inviteToken?: string }) =>
    request<{ user: User }>('POST', '/auth/signup', body),
  login: (body: { email: string; password: string }) => request<{ user: User }>('POST', '/auth/login', body),
  logout: () => request<void>('POST', '/auth/logout'),
  requestReset: (email: string) => request<void>('POST', '/auth/password-reset', { email }),
  confirmReset: (token: string, password: string) => request<void>('POST', '/auth/password-reset/confirm', { token, password }),

  createOrg: (name: string) => request<{ id: string; name: string }>('POST', '/orgs', { name }),
  org: (orgId: string) => request<{ id: string; name: string; role: Role }>('GET', `/orgs/${orgId}`),
  members: (orgId: string, cursor?: string | null) => request<Page<Member>>('GET', `/orgs/${orgId}/members${q({ limit: '100', cursor })}`),
  updateMember: (orgId: string, userId: string, change: { role?: Role; processDatasets?: boolean }) =>
    request<Member>('PATCH', `/orgs/${orgId}/members/${userId}`, change),
  removeMember: (orgId: string, userId: string, options: { keepGrants?: boolean } = {}) =>
    request<void>('DELETE', `/orgs/${orgId}/members/${userId}${options.keepGrants ? '?keepGrants=true' : ''}`),
  removalPreview: (orgId: string, userId: string) => request<RemovalPreview>('GET', `/orgs/${orgId}/members/${userId}/removal-preview`),
  inviteMembers: (orgId: string, emails: string[], role: Role) =>
    request<{ items: Invitation[] }>('POST', `/orgs/${orgId}/invitations`, { emails, role }),
  orgInvitations: (orgId: string) => request<{ items: Invitation[] }>('GET', `/orgs/${orgId}/invitations`),
  teams: (orgId: string) => request<Page<Team>>('GET', `/orgs/${orgId}/teams`),
  team: (teamId: string) => request<{ id: string; name: string; members: User[] }>('GET', `/teams/${teamId}`),
  createTeam: (orgId: string, name: string) => request<{ id: string; name: string }>('POST', `/orgs/${orgId}/teams`, { name }),
  deleteTeam: (teamId: string) => request<void>('DELETE', `/teams/${teamId}`),
  renameTeam: (teamId: string, name: string) => request<Team>('PATCH', `/teams/${teamId}`, { name }),
  addTeamMember: (teamId: string, userId: string) => request<void>('PUT', `/teams/${teamId}/members/${userId}`),
  removeTeamMember: (teamId: string, userId: string) => request<void>('DELETE', `/teams/${teamId}/members/${userId}`),
  accessReview: (orgId: string) => request<{ items: unknown[] }>('GET', `/orgs/${orgId}/access-review`),
  audit: (orgId: string, params: { datasetId?: string; cursor?: string | null }) =>
    request<Page<AuditEvent>>('GET', `/orgs/${orgId}/audit${q({ limit: '50', datasetId: params.datasetId, cursor: params.cursor })}`),

  inventory: (params: { q?: string; orgId?: string; minLevel?: string; cursor?: string | null }) =>
    request<Page<InventoryItem>>('GET', `/datasets${q({ limit: '25', ...params })}`),
  createDataset: (orgId: string, body: { name: string; description?: string; visibility?: Visibility }) =>
    request<Dataset>('POST', `/orgs/${orgId}/datasets`, body),
  dataset: (id: string) => request<Dataset>('GET', `/datasets/${id}`),
  updateDataset: (id: string, change: { name?: string; description?: string; visibility?: Visibility }) =>
    request<Dataset>('PATCH', `/datasets/${id}`, change),
  deleteDataset: (id: string) => request<void>('DELETE', `/datasets/${id}`),

  sharing: (id: string) => request<Sharing>('GET', `/datasets/${id}/sharing`),
  setUserGrant: (id: string, userId: string, level: Level, expiresAt?: string | null) =>
    request<UserGrant>('PUT', `/datasets/${id}/sharing/users/${userId}`, { level, ...(expiresAt ? { expiresAt } : {}) }),
  revokeUser: (id: string, userId: string) => request<void>('DELETE', `/datasets/${id}/sharing/users/${userId}`),
  setTeamGrant: (id: string, teamId: string, level: Level, expiresAt?: string | null) =>
    request<unknown>('PUT', `/datasets/${id}/sharing/teams/${teamId}`, { level, ...(expiresAt ? { expiresAt } : {}) }),
  revokeTeam: (id: string, teamId: string) => request<void>('DELETE', `/datasets/${id}/sharing/teams/${teamId}`),
  preview: (id: string, change: { visibility?: Visibility; removeTeamId?: string; removeUserId?: string }) =>
    request<{ gains: LevelChange[]; losses: LevelChange[] }>('POST', `/datasets/${id}/sharing/preview`, change),
  explain: (id: string, userId: string) => request<{ level: Level | null; paths: AccessPath[] }>('GET', `/datasets/${id}/access/${userId}`),

  items: (id: string, cursor?: string | null) => request<Page<Item>>('GET', `/datasets/${id}/items${q({ limit: '60', cursor })}`),
  layers: (id: string) => request<Page<Layer>>('GET', `/datasets/${id}/layers`),
  createLayer: (id: string, name: string) => request<Layer>('POST', `/datasets/${id}/layers`, { name }),
  annotations: (layerId: string, itemId: string) =>
    request<Page<Annotation>>('GET', `/layers/${layerId}/annotations${q({ itemId, limit: '200' })}`),
  annotate: (layerId: string, body: { itemId: string; label: string; bbox?: number[] | null }) =>
    request<Annotation>('POST', `/layers/${layerId}/annotations`, body),
  deleteAnnotation: (id: string) => request<void>('DELETE', `/annotations/${id}`),
  projects: (orgId: string) => request<Page<Project>>('GET', `/orgs/${orgId}/projects`),
  datasetProjects: (id: string) => request<Page<Project>>('GET', `/datasets/${id}/projects`),
  createProject: (orgId: string, name: string) => request<Project>('POST', `/orgs/${orgId}/projects`, { name }),
  addToProject: (projectId: string, datasetId: string) => request<void>('PUT', `/projects/${projectId}/datasets/${datasetId}`),
  removeFromProject: (projectId: string, datasetId: string) => request<void>('DELETE', `/projects/${projectId}/datasets/${datasetId}`),
  project: (id: string) => request<Project & { datasets: Dataset[] }>('GET', `/projects/${id}`),
  lineage: (id: string) => request<{ predecessor: Dataset | null; successors: Dataset[] }>('GET', `/datasets/${id}/lineage`),
  process: async (id: string, carrySharing: boolean): Promise<{ dataset?: Dataset; job?: Job }> => {
    const response = await request<Dataset | { job: Job }>('POST', `/datasets/${id}/process`, { pipeline: 'dedupe', carrySharing });
    return 'job' in response ? { job: response.job } : { dataset: response };
  },
  job: (id: string) => request<Job>('GET', `/jobs/${id}`),

  invite: (id: string, emails: string[], level: Level) =>
    request<{ items: Invitation[] }>('POST', `/datasets/${id}/invitations`, { emails, level }),
  extendInvitation: (id: string) => request<Invitation>('POST', `/invitations/${id}/extend`),
  resendInvitation: (id: string) => request<Invitation>('POST', `/invitations/${id}/resend`),
  revokeInvitation: (id: string) => request<void>('DELETE', `/invitations/${id}`),
  lookupInvitation: (token: string) => request<InvitationLookup>('GET', `/invitations/lookup${q({ token })}`),
  acceptInvitation: (token: string) =>
    request<{ kind: 'dataset' | 'org'; datasetId?: string; orgId: string }>('POST', '/invitations/accept', { token }),
  declineInvitation: (token: string) => request<void>('POST', '/invitations/decline', { token }),
};

// ── Identity and account security (API 1.1) ─────────────────────────────────────────────

/** The logged-in user: an address counts once its owner has proved the mailbox. */
export interface AccountUser extends User {
  emailVerified: boolean;
}
export type TokenScope = 'read' | 'write' | 'admin';
export interface AccountSession {
  id: string;
  createdAt: string;
  lastUsedAt: string | null;
  userAgent: string | null;
  current: boolean;
}
export interface AccessToken {
  id: string;
  name: string;
  scope: TokenScope;
  expiresAt: string;
  createdAt: string;
  lastUsedAt: string | null;
}
/** The answer to creating a token: the only time its secret is shown. */
export interface NewAccessToken {
  id: string;
  name: string;
  token: string;
  scope: TokenScope;
  expiresAt: string;
}

export const accountApi = {
  verifyEmail: (token: string) => request<void>('POST', '/auth/verify-email', { token }),
  resendVerification: () => request<void>('POST', '/auth/verify-email/resend'),
  changePassword: (currentPassword: string, newPassword: string) => request<void>('POST', '/me/password', { currentPassword, newPassword }),
  sessions: () => request<{ items: AccountSession[] }>('GET', '/me/sessions'),
  endSession: (id: string) => request<void>('DELETE', `/me/sessions/${id}`),
  tokens: () => request<{ items: AccessToken[] }>('GET', '/me/tokens'),
  createToken: (body: { name: string; scope: TokenScope; expiresAt: string }) => request<NewAccessToken>('POST', '/me/tokens', body),
  deleteToken: (id: string) => request<void>('DELETE', `/me/tokens/${id}`),
};

export const TOKEN_SCOPES: TokenScope[] = ['read', 'write', 'admin'];
export const SCOPE_HELP: Record<TokenScope, string> = {
  read: 'Look only: list, open and download what you can see. It cannot change anything.',
  write: 'Also change data: upload items, annotate, rename and describe datasets. It cannot share, invite or run an organization.',
  admin: 'Everything you can do yourself, sharing and organization administration included.',
};
export const TOKEN_MAX_DAYS = 366;
export const TOKEN_DEFAULT_DAYS = 90;

// ── End of identity and account security ────────────────────────────────────────────────

// ── Webhooks (API 1.1) ──────────────────────────────────────────────────────────────────

export interface Webhook {
  id: string;
  url: string;
  /** Audit event types, or ["*"] for all. */
  events: string[];
  enabled: boolean;
  disabledAt: string | null;
  createdAt: string;
}
/** The answer to registering a webhook: the only time its signing secret is shown. */
export interface NewWebhook extends Webhook {
  secret: string;
}
export interface WebhookDelivery {
  id: string;
  event: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  responseStatus: number | null;
  error: string | null;
  createdAt: string;
}

export const webhookApi = {
  list: (orgId: string) => request<{ items: Webhook[] }>('GET', `/orgs/${orgId}/webhooks`),
  create: (orgId: string, body: { url: string; events: string[] }) => request<NewWebhook>('POST', `/orgs/${orgId}/webhooks`, body),
  remove: (id: string) => request<void>('DELETE', `/webhooks/${id}`),
  ping: (id: string) => request<{ deliveryId: string }>('POST', `/webhooks/${id}/ping`),
  deliveries: (id: string) => request<{ items: WebhookDelivery[] }>('GET', `/webhooks/${id}/deliveries`),
  rotateSecret: (id: string) => request<{ secret: string }>('POST', `/webhooks/${id}/rotate-secret`),
};

// ── End of webhooks ─────────────────────────────────────────────────────────────────────
// ── Single sign-on (API 1.1) ────────────────────────────────────────────────────────────

/** How one signs in here: GET /auth/providers. */
export interface SignInProviders {
  oidc: { name: string } | null;
  passwordLogin: boolean;
}
/** Whether my account is linked to the provider: GET /me/sso. */
export interface SsoLink {
  linked: boolean;
  provider: { name: string } | null;
  hasPassword: boolean;
}

export const ssoApi = {
  providers: () => request<SignInProviders>('GET', '/auth/providers'),
  link: () => request<SsoLink>('GET', '/me/sso'),
  unlink: () => request<void>('DELETE', '/me/sso'),
};

/** The browser leaves for the provider and comes back to `returnTo`, a path of this site. */
export function signInWithProvider(returnTo: string): void {
  window.location.assign(`/api/v1/auth/oidc/start?returnTo=${encodeURIComponent(returnTo)}`);
}

// ── End of single sign-on ───────────────────────────────────────────────────────────────

export const LEVELS: Level[] = ['read', 'annotate', 'write', 'admin'];
export const LEVEL_HELP: Record<Level, string> = {
  read: 'View the dataset, its items and annotations.',
  annotate: 'Also add, edit and delete annotations in existing layers.',
  write: 'Also rename it, upload items and create annotation layers.',
  admin: 'Everything, including sharing, revoking and deleting.',
};
export const TIER_LABEL: Record<Visibility, string> = {
  admins: 'Admins only',
  organization: 'Organization users only',
  external: 'Users in organization and external accessors',
};
export const TIER_HELP: Record<Visibility, string> = {
  admins: 'Only organization admins, plus the people and teams it is shared with.',
  organization: 'Every organization member can read it; grants to people outside the organization are paused.',
  external: 'Every organization member can read it, and people outside the organization keep the access shared with them.',
};
export const rank = (level: Level | null) => (level ? LEVELS.indexOf(level) + 1 : 0);

/** Uploads files with progress (fetch cannot report upload progress; XMLHttpRequest can). */
export function uploadFiles(datasetId: string, files: File[], onProgress: (fraction: number) => void): Promise<Item[]> {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    for (const file of files) form.append('file', file, file.name);
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/api/v1/datasets/${datasetId}/items`);
    xhr.upload.onprogress = (event) => event.lengthComputable && onProgress(event.loaded / event.total);
    xhr.onload = () => {
      const payload = (() => {
        try {
          return JSON.parse(xhr.responseText);
        } catch {
          return null;
        }
      })();
      if (xhr.status === 201) resolve(payload.items as Item[]);
      else
        reject(new ApiError(xhr.status, payload?.error?.code ?? 'error', payload?.error?.message ?? `The upload failed (${xhr.status}).`));
    };
    xhr.onerror = () => reject(new ApiError(0, 'network', 'The upload was interrupted. Check your connection and try again.'));
    xhr.send(form);
  });
}

// ── Share links ─────────────────────────────────────────────────────────────────────────────
export type LinkLevel = 'read' | 'annotate';
export type LinkStatus = 'active' | 'expired' | 'revoked' | 'used_up';
export interface ShareLink {
  id: string;
  datasetId: string;
  name: string;
  level: LinkLevel;
  expiresAt: string;
  maxUses: number | null;
  uses: number;
  allowedDomains: string[];
  membersOnly: boolean;
  status: LinkStatus;
  createdBy: { id: string; name: string };
  createdAt: string;
  revokedAt: string | null;
}
export interface NewShareLink {
  name: string;
  level: LinkLevel;
  expiresAt: string;
  maxUses?: number | null;
  allowedDomains?: string[];
  membersOnly?: boolean;
}
export interface ShareLinkLookup {
  datasetName: string;
  orgName: string;
  level: LinkLevel;
  expiresAt: string;
  createdBy: { name: string };
  allowedDomains: string[];
  membersOnly: boolean;
}
export interface LinkRedemption {
  user: { id: string; name: string; email?: string };
  redeemedAt: string;
  level: Level;
}
export const linkApi = {
  create: (datasetId: string, link: NewShareLink) => request<ShareLink & { url: string }>('POST', `/datasets/${datasetId}/links`, link),
  list: (datasetId: string) => request<Page<ShareLink>>('GET', `/datasets/${datasetId}/links${q({ limit: '200' })}`),
  redemptions: (datasetId: string, linkId: string) =>
    request<Page<LinkRedemption>>('GET', `/datasets/${datasetId}/links/${linkId}/redemptions${q({ limit: '200' })}`),
  revoke: (linkId: string) => request<void>('DELETE', `/links/${linkId}`),
  lookup: (token: string) => request<ShareLinkLookup>('GET', `/links/lookup${q({ token })}`),
  redeem: (token: string) => request<{ datasetId: string; level: Level }>('POST', '/links/redeem', { token }),
  resendVerification: () => request<void>('POST', '/auth/verify-email/resend'),
};
// ── end of share links ──────────────────────────────────────────────────────────────────────
// ── SCIM provisioning (API 1.1) ──────────────────────────────────────────────────────────

export interface ScimToken {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
}

export interface NewScimToken {
  id: string;
  name: string;
  token: string;
  createdAt: string;
  scimBaseUrl: string;
}

export const scimApi = {
  tokens: (orgId: string) => request<{ scimBaseUrl: string; items: ScimToken[] }>('GET', `/orgs/${orgId}/scim-tokens`),
  createToken: (orgId: string, name: string) => request<NewScimToken>('POST', `/orgs/${orgId}/scim-tokens`, { name }),
  revokeToken: (orgId: string, id: string) => request<void>('DELETE', `/orgs/${orgId}/scim-tokens/${id}`),
};
