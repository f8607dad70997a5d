import type { ExpressionBuilder, SelectQueryBuilder } from 'kysely';
import { Forbidden, NotFound } from '../errors.js';
import type { Db } from '../store/database.js';
import type { Database, DatasetsTable } from '../store/schema.js';
import type { Level, OrgRole } from './levels.js';
import { atLeast } from './levels.js';
import { readerOf } from './reader.js';
import { type AccessFacts, effectiveLevel } from './rule.js';

type DatasetScope = Database & { d: DatasetsTable };

/**
 * The access facts of `userId` on the dataset aliased `d`, as correlated subqueries.
 * Each is one primary-key or index probe:
 *   org_role    → org_members primary key (org_id, user_id)
 *   team_rank   → team_members_user (user_id, team_id) joined to team_grants primary key (dataset_id, team_id)
 *   direct_rank → user_grants primary key (dataset_id, user_id)
 */
export function accessFactColumns(userId: string, now: number) {
  return (eb: ExpressionBuilder<DatasetScope, 'd'>) => [
    eb.selectFrom('org_members as m').select('m.role').whereRef('m.org_id', '=', 'd.org_id').where('m.user_id', '=', userId).as('org_role'),
    eb
      .selectFrom('team_members as tm')
      .innerJoin('team_grants as tg', 'tg.team_id', 'tm.team_id')
      .select((inner) => inner.fn.max('tg.level').as('rank'))
      .where('tm.user_id', '=', userId)
      .whereRef('tg.dataset_id', '=', 'd.id')
      .where((w) => w.or([w('tg.expires_at', 'is', null), w('tg.expires_at', '>', now)]))
      .as('team_rank'),
    eb
      .selectFrom('user_grants as g')
      .select('g.level')
      .whereRef('g.dataset_id', '=', 'd.id')
      .where('g.user_id', '=', userId)
      .where((w) => w.or([w('g.expires_at', 'is', null), w('g.expires_at', '>', now)]))
      .as('direct_rank'),
  ];
}

export interface FactRow {
  visibility: DatasetsTable['visibility'];
  org_role: OrgRole | null;
  team_rank: number | null;
  direct_rank: number | null;
}

export function factsOf(row: FactRow): AccessFacts {
  return {
    orgRole: row.org_role,
    visibility: row.visibility,
    teamRank: row.team_rank === null ? null : Number(row.team_rank),
    directRank: row.direct_rank === null ? null : Number(row.direct_rank),
  };
}

export type DatasetRow = DatasetsTable;
export interface AuthorizedDataset {
  dataset: DatasetRow;
  level: Level;
  facts: AccessFacts;
}

function datasetWithFacts(db: Db, userId: string, datasetId: string, now: number) {
  return db
    .selectFrom('datasets as d')
    .selectAll('d')
    .select(accessFactColumns(userId, now))
    .where('d.id', '=', datasetId) as SelectQueryBuilder<DatasetScope, 'd', DatasetRow & FactRow>;
}

/**
 * `datasetWithFacts` as one statement prepared once, for the SQLite read connection: the dataset
 * by primary key, the membership by (org_id, user_id), the team grants of the dataset by primary
 * key prefix (dataset_id) each probing team_members (team_id, user_id), the direct grant by
 * (dataset_id, user_id). The same SQL as the query builder produces, with named parameters.
 */
const CHECK_SQL = `
  select d.*,
    (select m.role from org_members m where m.org_id = d.org_id and m.user_id = @user) as org_role,
    (select max(tg.level) from team_grants tg
       join team_members tm on tm.team_id = tg.team_id and tm.user_id = @user
      where tg.dataset_id = d.id and (tg.expires_at is null or tg.expires_at > @now)) as team_rank,
    (select g.level from user_grants g
      where g.dataset_id = d.id and g.user_id = @user and (g.expires_at is null or g.expires_at > @now)) as direct_rank
  from datasets d where d.id = @dataset`;

/** The effective level of a user on a dataset, in one round trip; null when none or no such dataset. */
export async function checkAccess(db: Db, userId: string, datasetId: string, now: number): Promise<AuthorizedDataset | null> {
  const reader = await readerOf(db);
  const row = reader
    ? reader.get<DatasetRow & FactRow>(CHECK_SQL, { user: userId, now, dataset: datasetId })
    : await datasetWithFacts(db, userId, datasetId, now).executeTakeFirst();
  if (!row) return null;
  const { org_role: _role, team_rank: _team, direct_rank: _direct, ...dataset } = row;
  const facts = factsOf(row);
  const level = effectiveLevel(facts);
  return level ? { dataset, level, facts } : null;
}

/**
 * The gate every dataset route goes through: a dataset the user cannot read is not found,
 * one they can read but below `minimum` is forbidden.
 */
export async function authorizeDataset(db: Db, userId: string, datasetId: string, minimum: Level, now: number): Promise<AuthorizedDataset> {
  const access = await checkAccess(db, userId, datasetId, now);
  if (!access) throw new NotFound('Dataset');
  if (!atLeast(access.level, minimum)) {
    throw new Forbidden(`This needs ${minimum} access to the dataset; you have ${access.level}.`);
  }
  return access;
}
