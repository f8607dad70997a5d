import { authorizeDatasetAction, authorizeOrgAction, orgFactsOf } from '../access/authorize.js';
import { type Level, levelOf } from '../access/levels.js';
import { membershipOf } from '../access/org.js';
import { authorize } from '../access/policy.js';
import type { Actor } from '../access/scope.js';
import { DAY, iso } from '../clock.js';
import type { Context } from '../context.js';
import { NotFound } from '../errors.js';
import { type AuditEventFilter, type AuditEventRecord, auditEvents, type SubjectKind, subjectNames } from '../store/audit.js';
import { teamGrantsInOrg, userGrantsInOrg } from '../store/grants.js';
import { decodeCursor, type Page, pageOf } from '../store/pagination.js';
import { type User, userOf } from '../store/users.js';

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
async function authorizeAuditRead(ctx: Context, actor: Actor, orgId: string, datasetId: string | undefined): Promise<void> {
  const facts = orgFactsOf(actor, await membershipOf(ctx.db, actor.id, orgId));
  if (facts.role === 'admin' || datasetId === undefined) return authorize('org.readAudit', facts);
  const { dataset } = await authorizeDatasetAction(ctx.db, actor, datasetId, 'dataset.readAudit', ctx.clock.now());
  if (dataset.org_id !== orgId) throw new NotFound('Dataset');
}

function parseTime(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const ms = Date.parse(raw);
  return Number.isNaN(ms) ? undefined : ms;
}

function eventFilter(filter: AuditFilter): AuditEventFilter {
  return {
    datasetId: filter.datasetId,
    actorId: filter.actorId,
    action: filter.action,
    from: parseTime(filter.from),
    to: parseTime(filter.to),
  };
}

function entryOf(row: AuditEventRecord): AuditEntry {
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
  actor: Actor,
  orgId: string,
  filter: AuditFilter,
  page: { limit: number; cursor?: string | undefined },
): Promise<Page<AuditEntry>> {
  await authorizeAuditRead(ctx, actor, orgId, filter.datasetId);
  const after = page.cursor === undefined ? undefined : (decodeCursor(page.cursor, ['number', 'string']) as [number, string]);
  const rows = await auditEvents(ctx.db, orgId, eventFilter(filter), { after, limit: page.limit + 1 });
  const result = pageOf(rows, page.limit, (r) => [Number(r.at), r.id], entryOf);
  await nameSubjects(ctx, result.items);
  return result;
}

const SUBJECT_KINDS: readonly SubjectKind[] = ['user', 'team', 'dataset', 'invitation', 'link'];

/** Fills in subject names with one lookup per kind of subject on the page. */
async function nameSubjects(ctx: Context, entries: AuditEntry[]): Promise<void> {
  const ids = (kind: string) => [
    ...new Set(entries.filter((e) => e.subject.startsWith(`${kind}:`)).map((e) => e.subject.slice(kind.length + 1))),
  ];
  const names = new Map<string, string>();
  for (const kind of SUBJECT_KINDS) {
    const wanted = ids(kind);
    if (wanted.length === 0) continue;
    for (const s of await subjectNames(ctx.db, kind, wanted)) names.set(`${kind}:${s.id}`, s.name);
  }
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
export async function* auditCsv(ctx: Context, actor: Actor, orgId: string, filter: AuditFilter): AsyncGenerator<string> {
  await authorizeOrgAction(ctx.db, actor, orgId, 'org.exportAudit');
  yield 'id,at,actor_id,actor_name,action,dataset_id,subject,before,after\n';
  let cursor: [number, string] | undefined;
  for (;;) {
    const rows = await auditEvents(ctx.db, orgId, eventFilter(filter), { after: cursor, limit: 500 });
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
export async function accessReview(ctx: Context, actor: Actor, orgId: string): Promise<ReviewItem[]> {
  await authorizeOrgAction(ctx.db, actor, orgId, 'org.reviewAccess');
  // This instance's reads count at once; another instance's within its flush interval.
  await ctx.usage.flush();
  const now = ctx.clock.now();
  const staleBefore = now - STALE_AFTER_MS;
  const users = await userGrantsInOrg(ctx.db, orgId, now);
  const teams = await teamGrantsInOrg(ctx.db, orgId, now);
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
