import { sql } from 'kysely';
import type { Db } from './database.js';
import type { AuditEventsTable } from './schema.js';

/**
 * How many e-mails went out on the actor's word since `since`, and when the oldest did: invitations
 * created or resent, and direct grants whose notice was sent (their grant.set event says so).
 */
export async function mailSentOnWordOf(db: Db, actorId: string, since: number): Promise<{ count: number; oldest: number | null }> {
  const sent = await db
    .selectFrom('audit_events')
    .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.min('at').as('oldest')])
    .where('actor_id', '=', actorId)
    .where((eb) =>
      eb.or([
        eb('action', 'in', ['invitation.created', 'invitation.resent']),
        eb.and([eb('action', '=', 'grant.set'), eb('after', 'like', '%"notified":true%')]),
      ]),
    )
    .where('at', '>', since)
    .executeTakeFirstOrThrow();
  return { count: Number(sent.n), oldest: sent.oldest == null ? null : Number(sent.oldest) };
}

export async function insertAuditEvents(tx: Db, rows: AuditEventsTable[]): Promise<void> {
  // A few hundred rows a statement keeps within every driver's limit on parameters.
  for (let i = 0; i < rows.length; i += 500)
    await tx
      .insertInto('audit_events')
      .values(rows.slice(i, i + 500))
      .execute();
}

export interface AuditEventFilter {
  datasetId?: string | undefined;
  actorId?: string | undefined;
  action?: string | undefined;
  from?: number | undefined;
  to?: number | undefined;
}

export interface AuditEventRecord {
  id: string;
  at: number;
  actor_id: string | null;
  actor_name: string | null;
  action: string;
  dataset_id: string | null;
  subject: string;
  before: string | null;
  after: string | null;
}

/** The organization's events matching the filter, newest first on (at, id), from just past `after`. */
export async function auditEvents(
  db: Db,
  orgId: string,
  filter: AuditEventFilter,
  page: { after?: readonly [number, string] | undefined; limit: number },
): Promise<AuditEventRecord[]> {
  let query = db
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
  if (filter.from !== undefined) query = query.where('e.at', '>=', filter.from);
  if (filter.to !== undefined) query = query.where('e.at', '<', filter.to);
  // Newest first on (at, id): index audit_events_org (org_id, at, id) or audit_events_dataset.
  query = query.orderBy('e.at', 'desc').orderBy('e.id', 'desc');
  const after = page.after;
  if (after) query = query.where((eb) => eb(eb.refTuple('e.at', 'e.id'), '<', eb.tuple(after[0], after[1])));
  return (await query.limit(page.limit).execute()) as AuditEventRecord[];
}

const NAMED = {
  user: { table: 'users', column: 'name' },
  team: { table: 'teams', column: 'name' },
  dataset: { table: 'datasets', column: 'name' },
  invitation: { table: 'invitations', column: 'email' },
  link: { table: 'share_links', column: 'name' },
} as const;

export type SubjectKind = keyof typeof NAMED;

/** What the subjects of one kind are called now: a name, or an invitation's address. */
export async function subjectNames(db: Db, kind: SubjectKind, ids: string[]): Promise<{ id: string; name: string }[]> {
  const { table, column } = NAMED[kind];
  return db
    .selectFrom(table)
    .select(['id', `${column} as name`])
    .where('id', 'in', ids)
    .execute() as Promise<{ id: string; name: string }[]>;
}
