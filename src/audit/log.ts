import { sql } from 'kysely';
import { authorizeDataset } from '../access/check.js';
import { type Level, levelOf } from '../access/levels.js';
import { membershipOf, requireOrgAdmin } from '../access/org.js';
import { assertFullScope } from '../access/scope.js';
import { type User, userOf } from '../accounts/users.js';
import { DAY, iso } from '../clock.js';
import type { Context } from '../context.js';
import { Forbidden, NotFound } from '../errors.js';
import { inForce } from '../store/grants.js';
import { decodeCursor, type Page, pageOf } from '../store/pagination.js';

export interface AuditFilter {
  datasetId?: string | undefined;
  actorId?: string | undefined;
  action?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
}

export interface AuditEntry {
  id: string;
  at: string;
  actor: { id: string; name: string } | null;
  action: string;
  datasetId: string | null;
  subject: string;
  /** What the subject is called now (a user's name, a team's name, an invitation's address), or the name its event recorded. */
  subjectName: string | null;
  before: unknown;
  after: unknown;
}

/** Org admins read the whole log; a dataset admin reads the history of that dataset only. */
async function authorizeAuditRead(ctx: Context, actorId: string, orgId: string, datasetId: string | undefined): Promise<void> {
  const membership = await membershipOf(ctx.db, actorId, orgId);
  if (membership?.role === 'admin') {
    assertFullScope(actorId);
    return;
  }
  if (datasetId === undefined) {
    if (!membership) throw new NotFound('Organization');
    throw new Forbidden('Only organization admins can read the whole audit log; pass datasetId for a dataset you administer.');
  }
  const { dataset } = await authorizeDataset(ctx.db, actorId, datasetId, 'admin', ctx.clock.now());
  if (dataset.org_id !== orgId) throw new NotFound('Dataset');
}

function parseTime(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const ms = Date.parse(raw);
  return Number.isNaN(ms) ? undefined : ms;
}

function auditQuery(ctx: Context, orgId: string, filter: AuditFilter) {
  let query = ctx.db
    .selectFrom('audit_events as e')
    .leftJoin('users as u', 'u.id', 'e.actor_id')
    // The organization's directory acts through a SCIM token, named as such.
    .leftJoin('scim_tokens as st', 'st.id', 'e.actor_id')
    .select(['e.id', 'e.at', 'e.actor_id', 'e.action', 'e.dataset_id', 'e.subject', 'e.before', 'e.after'])
    .select(sql<string | null>`coalesce(u.name, 'SCIM (' || st.name || ')')`.as('actor_name'))
    .where('e.org_id', '=', orgId);
  if (filter.datasetId !== undefined) query = query.where('e.dataset_id', '=', filter.datasetId);
  if (filter.actorId !== undefined) query = query.where('e.actor_id', '=', filter.actorId);
  if (filter.action !== undefined) query = query.where('e.action', '=', filter.action);
  const from = parseTime(filter.from);
  const to = parseTime(filter.to);
  if (from !== undefined) query = query.where('e.at', '>=', from);
  if (to !== undefined) query = query.where('e.at', '<', to);
  // Newest first on (at, id): index audit_events_org (org_id, at, id) or audit_events_dataset.
  return query.orderBy('e.at', 'desc').orderBy('e.id', 'desc');
}

type AuditRow = {
  id: string;
  at: number;
  actor_id: string | null;
  actor_name: string | null;
  action: string;
  dataset_id: string | null;
  subject: string;
  before: string | null;
  after: string | null;
};

function entryOf(row: AuditRow): AuditEntry {
  return {
    id: row.id,
    at: iso(row.at),
    actor: row.actor_id ? { id: row.actor_id, name: row.actor_name ?? '' } : null,
    action: row.action,
    datasetId: row.dataset_id,
    subject: row.subject,
    subjectName: null,
    before: row.before === null ? null : JSON.parse(row.before),
    after: row.after === null ? null : JSON.parse(row.after),
  };
}

export async function listAuditEvents(
  ctx: Context,
  actorId: string,
  orgId: string,
  filter: AuditFilter,
  page: { limit: number; cursor?: string | undefined },
): Promise<Page<AuditEntry>> {
  await authorizeAuditRead(ctx, actorId, orgId, filter.datasetId);
  let query = auditQuery(ctx, orgId, filter);
  if (page.cursor !== undefined) {
    const [at, id] = decodeCursor(page.cursor, ['number', 'string']) as [number, string];
    query = query.where((eb) => eb(eb.refTuple('e.at', 'e.id'), '<', eb.tuple(at, id)));
  }
  const rows = await query.limit(page.limit + 1).execute();
  const result = pageOf(rows as AuditRow[], page.limit, (r) => [Number(r.at), r.id], entryOf);
  await nameSubjects(ctx, result.items);
  return result;
}

/** Fills in subject names with one lookup per kind of subject on the page. */
async function nameSubjects(ctx: Context, entries: AuditEntry[]): Promise<void> {
  const ids = (kind: string) => [
    ...new Set(entries.filter((e) => e.subject.startsWith(`${kind}:`)).map((e) => e.subject.slice(kind.length + 1))),
  ];
  const names = new Map<string, string>();
  const users = ids('user');
  if (users.length)
    for (const u of await ctx.db.selectFrom('users').select(['id', 'name']).where('id', 'in', users).execute())
      names.set(`user:${u.id}`, u.name);
  const teams = ids('team');
  if (teams.length)
    for (const t of await ctx.db.selectFrom('teams').select(['id', 'name']).where('id', 'in', teams).execute())
      names.set(`team:${t.id}`, t.name);
  const datasets = ids('dataset');
  if (datasets.length)
    for (const d of await ctx.db.selectFrom('datasets').select(['id', 'name']).where('id', 'in', datasets).execute())
      names.set(`dataset:${d.id}`, d.name);
  const invitations = ids('invitation');
  if (invitations.length) {
    for (const i of await ctx.db.selectFrom('invitations').select(['id', 'email']).where('id', 'in', invitations).execute())
      names.set(`invitation:${i.id}`, i.email);
  }
  const links = ids('link');
  if (links.length)
    for (const l of await ctx.db.selectFrom('share_links').select(['id', 'name']).where('id', 'in', links).execute())
      names.set(`link:${l.id}`, l.name);
  for (const entry of entries) entry.subjectName = names.get(entry.subject) ?? recordedName(entry);
}

/** A subject that no longer exists (a deleted team, say) keeps the name its event recorded. */
function recordedName(entry: AuditEntry): string | null {
  for (const side of [entry.after, entry.before]) {
    const name = side !== null && typeof side === 'object' ? (side as { name?: unknown }).name : undefined;
    if (typeof name === 'string') return name;
  }
  return null;
}

function csvField(value: unknown): string {
  const text = value === null || value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
  // A leading =, +, - or @ would be a formula in a spreadsheet.
  const safe = /^[=+\-@]/.test(text) ? `'${text}` : text;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** The org's log as CSV, newest first, produced page by page so a long log never sits in memory. */
export async function* auditCsv(ctx: Context, actorId: string, orgId: string, filter: AuditFilter): AsyncGenerator<string> {
  await requireOrgAdmin(ctx.db, actorId, orgId);
  yield 'id,at,actor_id,actor_name,action,dataset_id,subject,before,after\n';
  let cursor: [number, string] | undefined;
  for (;;) {
    let query = auditQuery(ctx, orgId, filter);
    if (cursor) {
      const [at, id] = cursor;
      query = query.where((eb) => eb(eb.refTuple('e.at', 'e.id'), '<', eb.tuple(at, id)));
    }
    const rows = (await query.limit(500).execute()) as AuditRow[];
    if (rows.length === 0) return;
    yield rows
      .map((r) => [r.id, iso(r.at), r.actor_id, r.actor_name, r.action, r.dataset_id, r.subject, r.before, r.after].map(csvField).join(','))
      .join('\n')
      .concat('\n');
    const last = rows[rows.length - 1]!;
    cursor = [Number(last.at), last.id];
  }
}

export const STALE_AFTER_MS = 90 * DAY;

export interface ReviewItem {
  datasetId: string;
  datasetName: string;
  subject: { kind: 'user'; user: User } | { kind: 'team'; team: { id: string; name: string } };
  level: Level;
  external: boolean;
  expiresAt: string | null;
  createdAt: string;
  lastUsedAt: string | null;
  reasons: ('external' | 'unused')[];
}

/**
 * Grants an org admin should look at: every grant to an external accessor, and every grant
 * not used to read the dataset for 90 days (or never, when older than that).
 */
export async function accessReview(ctx: Context, actorId: string, orgId: string): Promise<ReviewItem[]> {
  await requireOrgAdmin(ctx.db, actorId, orgId);
  const now = ctx.clock.now();
  const staleBefore = now - STALE_AFTER_MS;
  const users = await ctx.db
    .selectFrom('user_grants as g')
    .innerJoin('datasets as d', 'd.id', 'g.dataset_id')
    .innerJoin('users as u', 'u.id', 'g.user_id')
    .leftJoin('org_members as m', (join) => join.onRef('m.org_id', '=', 'd.org_id').onRef('m.user_id', '=', 'g.user_id'))
    .select([
      'd.id as dataset_id',
      'd.name as dataset_name',
      'u.id',
      'u.email',
      'u.name',
      'u.email_verified',
      'g.level',
      'g.expires_at',
      'g.created_at',
      'g.last_used_at',
      'm.role',
    ])
    .where('d.org_id', '=', orgId)
    .where(inForce('g.expires_at', now))
    .orderBy('d.name')
    .orderBy('u.name')
    .execute();
  const teams = await ctx.db
    .selectFrom('team_grants as g')
    .innerJoin('datasets as d', 'd.id', 'g.dataset_id')
    .innerJoin('teams as t', 't.id', 'g.team_id')
    .select(['d.id as dataset_id', 'd.name as dataset_name', 't.id', 't.name', 'g.level', 'g.expires_at', 'g.created_at', 'g.last_used_at'])
    .where('d.org_id', '=', orgId)
    .where(inForce('g.expires_at', now))
    .orderBy('d.name')
    .orderBy('t.name')
    .execute();
  const unused = (g: { last_used_at: number | null; created_at: number }) => (g.last_used_at ?? g.created_at) < staleBefore;
  const items: ReviewItem[] = [];
  for (const g of users) {
    const external = g.role === null;
    const reasons = [...(external ? (['external'] as const) : []), ...(unused(g) ? (['unused'] as const) : [])];
    if (reasons.length === 0) continue;
    items.push({
      datasetId: g.dataset_id,
      datasetName: g.dataset_name,
      subject: { kind: 'user', user: userOf(g) },
      level: levelOf(g.level) ?? 'read',
      external,
      expiresAt: iso(g.expires_at),
      createdAt: iso(g.created_at),
      lastUsedAt: iso(g.last_used_at),
      reasons,
    });
  }
  for (const g of teams) {
    if (!unused(g)) continue;
    items.push({
      datasetId: g.dataset_id,
      datasetName: g.dataset_name,
      subject: { kind: 'team', team: { id: g.id, name: g.name } },
      level: levelOf(g.level) ?? 'read',
      external: false,
      expiresAt: iso(g.expires_at),
      createdAt: iso(g.created_at),
      lastUsedAt: iso(g.last_used_at),
      reasons: ['unused'],
    });
  }
  return items;
}
