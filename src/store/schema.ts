import type { Generated } from 'kysely';

/** Times are epoch milliseconds (bigint on PostgreSQL, integer on SQLite). Booleans are 0/1. */

export interface UsersTable {
  id: string;
  email: string;
  name: string;
  password_hash: string;
  created_at: number;
  /** 1 once the owner proved the mailbox (verification link, reset, invitation). */
  email_verified: Generated<number>;
  /** The OpenID Connect identity the account is linked to (migration 011); both set or both null. */
  oidc_issuer: string | null;
  oidc_subject: string | null;
}

export interface SessionsTable {
  token_hash: string;
  /** Public id, distinct from the secret (null only for rows older than migration 005). */
  id: string | null;
  user_id: string;
  created_at: number;
  expires_at: number;
  user_agent: string | null;
  last_used_at: number | null;
}

export interface AccessTokensTable {
  id: string;
  user_id: string;
  name: string;
  token_hash: string;
  created_at: number;
  last_used_at: number | null;
  scope: Generated<TokenScope>;
  expires_at: number | null;
}

export type TokenScope = 'read' | 'write' | 'admin';

export interface OrgsTable {
  id: string;
  name: string;
  created_at: number;
}

export interface OrgMembersTable {
  org_id: string;
  user_id: string;
  role: 'admin' | 'member';
  process_datasets: number;
  created_at: number;
}

export interface TeamsTable {
  id: string;
  org_id: string;
  name: string;
  created_at: number;
}

export interface TeamMembersTable {
  team_id: string;
  user_id: string;
  created_at: number;
}

export interface DatasetsTable {
  id: string;
  org_id: string;
  name: string;
  /** The sort and search key of the name: `datasetNameKey(name)`. */
  name_key: string;
  description: string;
  visibility: 'external' | 'organization' | 'admins';
  predecessor_id: string | null;
  item_count: number;
  created_at: number;
  updated_at: number;
}

/** Every column of `datasets`, in table order; the compiler holds it to `DatasetsTable`. */
const DATASET_COLUMNS = [
  'id',
  'org_id',
  'name',
  'name_key',
  'description',
  'visibility',
  'predecessor_id',
  'item_count',
  'created_at',
  'updated_at',
] as const satisfies readonly (keyof DatasetsTable)[];
const everyDatasetColumn: Exclude<keyof DatasetsTable, (typeof DATASET_COLUMNS)[number]> extends never ? true : never = true;
void everyDatasetColumn;

/**
 * A dataset's columns, named one by one, for the SQL written out by hand. `d.*` would take
 * whatever the table has when the statement runs: a column another instance's migration adds
 * would then shift every column after it.
 */
export function datasetColumnsSql(alias: string): string {
  return DATASET_COLUMNS.map((column) => `${alias}.${column}`).join(', ');
}

/** The dataset's own columns of a row that read others beside them (facts, names), as a dataset row of its own. */
export function datasetOfRow(row: DatasetsTable): DatasetsTable {
  return {
    id: row.id,
    org_id: row.org_id,
    name: row.name,
    name_key: row.name_key,
    description: row.description,
    visibility: row.visibility,
    predecessor_id: row.predecessor_id,
    item_count: row.item_count,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

export interface UserGrantsTable {
  dataset_id: string;
  user_id: string;
  level: number;
  expires_at: number | null;
  granted_by: string | null;
  created_at: number;
  last_used_at: number | null;
}

export interface TeamGrantsTable {
  dataset_id: string;
  team_id: string;
  level: number;
  expires_at: number | null;
  granted_by: string | null;
  created_at: number;
  last_used_at: number | null;
}

export interface InvitationsTable {
  id: string;
  kind: 'dataset' | 'org';
  org_id: string;
  dataset_id: string | null;
  email: string;
  level: number | null;
  role: 'admin' | 'member' | null;
  token_hash: string;
  status: 'pending' | 'accepted' | 'declined' | 'revoked';
  expires_at: number;
  invited_by: string;
  created_at: number;
  accepted_at: number | null;
  accepted_by: string | null;
  delivery: 'queued' | 'sent' | 'failed';
  last_error: string | null;
}

export interface ShareLinksTable {
  id: string;
  dataset_id: string;
  org_id: string;
  name: string;
  level: number;
  token_hash: string;
  expires_at: number;
  max_uses: number | null;
  uses: Generated<number>;
  /** JSON array of lower-cased domains; "[]" allows any. */
  allowed_domains: string;
  members_only: number;
  created_by: string;
  created_at: number;
  revoked_at: number | null;
  revoked_by: string | null;
}

export interface ShareLinkRedemptionsTable {
  link_id: string;
  user_id: string;
  redeemed_at: number;
  level: number;
}

export interface PasswordResetsTable {
  token_hash: string;
  user_id: string;
  expires_at: number;
  used_at: number | null;
  created_at: number;
}

export interface EmailVerificationsTable {
  token_hash: string;
  user_id: string;
  expires_at: number;
  used_at: number | null;
  created_at: number;
}

export interface RateLimitsTable {
  key: string;
  window_start: number;
  hits: number;
}

export interface AuditEventsTable {
  id: string;
  org_id: string;
  at: number;
  actor_id: string | null;
  action: string;
  dataset_id: string | null;
  subject: string;
  before: string | null;
  after: string | null;
}

export interface ItemsTable {
  id: string;
  dataset_id: string;
  name: string;
  size: number;
  content_type: string;
  sha256: string;
  created_by: string | null;
  created_at: number;
}

export interface LayersTable {
  id: string;
  dataset_id: string;
  name: string;
  created_by: string | null;
  created_at: number;
}

export interface AnnotationsTable {
  id: string;
  layer_id: string;
  item_id: string;
  label: string;
  /** JSON [x, y, w, h], or null for a label on the whole item. */
  bbox: string | null;
  created_by: string | null;
  created_at: number;
  updated_by: string | null;
  updated_at: number;
}

export interface ProjectsTable {
  id: string;
  org_id: string;
  name: string;
  created_by: string | null;
  created_at: number;
}

export interface ProjectDatasetsTable {
  project_id: string;
  dataset_id: string;
  added_by: string | null;
  added_at: number;
}

export interface JobsTable {
  id: string;
  kind: 'dedupe';
  org_id: string;
  source_dataset_id: string;
  started_by: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed';
  done: number;
  total: number;
  result_dataset_id: string | null;
  error: string | null;
  created_at: number;
  updated_at: number;
  /** Until when the instance running the job holds it; renewed as its heartbeat. */
  lease_until: number | null;
  claimed_by: string | null;
  carry_sharing: number;
}

export interface OutboxTable {
  id: string;
  kind: 'mail' | 'webhook';
  status: 'queued' | 'sending' | 'sent' | 'failed';
  /** The rendered message as JSON; null once delivered, so no link secret stays at rest. */
  payload: string | null;
  recipient: string;
  org_id: string | null;
  invitation_id: string | null;
  attempts: number;
  next_attempt_at: number;
  lease_until: number | null;
  claimed_by: string | null;
  last_error: string | null;
  created_at: number;
  finished_at: number | null;
  /** Webhook deliveries (migration 010): the event type, and the status of the last answer (null: none). */
  event_type: string | null;
  response_status: number | null;
}

/** An organization's webhook endpoint (migration 010). `events` is a JSON array; `["*"]` is every type. */
export interface WebhooksTable {
  id: string;
  org_id: string;
  url: string;
  events: string;
  /** Kept as issued: signing needs it. Never returned after creation or rotation, never logged. */
  secret: string;
  previous_secret: string | null;
  previous_secret_until: number | null;
  enabled: number;
  failing_since: number | null;
  disabled_at: number | null;
  created_by: string | null;
  created_at: number;
}

/** A blob an instance holds while an item row about to point to it commits (migration 008). */
export interface BlobHoldsTable {
  sha256: string;
  /** The holding process, random per start. */
  holder: string;
  held_at: number;
}

/** An organization's SCIM provisioning token (migration 012); only its hash is kept. */
export interface ScimTokensTable {
  id: string;
  org_id: string;
  name: string;
  token_hash: string;
  created_by: string | null;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

/** A user an organization's directory provisioned (migration 012). */
export interface ScimUsersTable {
  org_id: string;
  user_id: string;
  external_id: string | null;
  active: Generated<number>;
  created_account: Generated<number>;
  created_at: number;
}

/** A sign-in with the OpenID Connect provider under way (migration 011). */
export interface OidcSignInsTable {
  /** Hash of the secret in the browser's cookie; the PKCE verifier and nonce derive from that secret. */
  binding_hash: string;
  state: string;
  return_to: string;
  created_at: number;
  expires_at: number;
}

export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
  access_tokens: AccessTokensTable;
  orgs: OrgsTable;
  org_members: OrgMembersTable;
  teams: TeamsTable;
  team_members: TeamMembersTable;
  datasets: DatasetsTable;
  user_grants: UserGrantsTable;
  team_grants: TeamGrantsTable;
  invitations: InvitationsTable;
  share_links: ShareLinksTable;
  share_link_redemptions: ShareLinkRedemptionsTable;
  password_resets: PasswordResetsTable;
  email_verifications: EmailVerificationsTable;
  rate_limits: RateLimitsTable;
  audit_events: AuditEventsTable;
  items: ItemsTable;
  layers: LayersTable;
  annotations: AnnotationsTable;
  projects: ProjectsTable;
  project_datasets: ProjectDatasetsTable;
  jobs: JobsTable;
  blob_holds: BlobHoldsTable;
  outbox: OutboxTable;
  scim_tokens: ScimTokensTable;
  scim_users: ScimUsersTable;
  webhooks: WebhooksTable;
  oidc_sign_ins: OidcSignInsTable;
}
