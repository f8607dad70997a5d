import type { ExpressionBuilder } from 'kysely';
import { Counter } from 'prom-client';
import { Forbidden, NotFound } from '../errors.js';
import { accessCheckDuration, registry } from '../metrics.js';
import type { Db } from '../store/database.js';
import { inForce } from '../store/grants.js';
import { dialectOf, openedReader, Parameters, readerOf, readSql } from '../store/reader.js';
import { type Database, type DatasetsTable, datasetColumnsSql, datasetOfRow } from '../store/schema.js';
import type { Level, OrgRole } from './levels.js';
import { atLeast } from './levels.js';
import { mayProcessDatasets } from './org.js';
import { type AccessFacts, effectiveLevel } from './rule.js';
import { type Actor, cappedLevel, tokenScopeRefusal } from './scope.js';
import { recordGrantUse } from './usage.js';

type DatasetScope = Database & { d: DatasetsTable };

/** "In force" has one definition, in the store; the prepared statements below spell the same predicate in their SQL text. */
export { inForce } from '../store/grants.js';

/**
 * The access facts of `userId` on the dataset aliased `d`, as correlated subqueries for the
 * query builder. Each is one primary-key or index probe:
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
      .where(inForce('tg.expires_at', now))
      .as('team_rank'),
    eb
      .selectFrom('user_grants as g')
      .select('g.level')
      .whereRef('g.dataset_id', '=', 'd.id')
      .where('g.user_id', '=', userId)
      .where(inForce('g.expires_at', now))
      .as('direct_rank'),
  ];
}

export interface FactRow {
  visibility: DatasetsTable['visibility'];
  org_role: OrgRole | null;
  team_rank: number | null;
  direct_rank: number | null;
  /** A member's capability to process datasets (1), read by the check's statements only. */
  process_datasets?: number | null;
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
  /** Whether the caller may process datasets of its organization (admins always, members by capability). */
  processDatasets: boolean;
}

/**
 * The check as SQL text, for the hot paths that skip the query builder: the dataset `d`'s
 * columns with the facts of the user whose id `user` gives (`accessFactColumns`), and the join
 * that follows `d` in the statement's `from`. Read alone below, or in the same statement as the
 * caller (accounts/caller.ts), where `d` is left-joined on its id and so all null when there is
 * none. Each fact is one probe of a covering index: the membership by org_members_user (one
 * probe, joined, for the role and the member's capability to process datasets, migration 014,
 * which the dataset's `allowedActions` need), the dataset's team grants by team_grants_check
 * each probing team_members' primary key, the direct grant by user_grants_check (migration 004).
 * On SQLite the indexes are named, so the planner cannot prefer the primary key and then read
 * the table. `user` and `now` give a parameter (or an SQL expression) each time they are called;
 * SQLite numbers its parameters by place, so a statement calls `columns` before `join`, in the
 * order of its text.
 */
export function checkSql(user: () => string, now: () => string, sqlite: boolean): { columns: () => string; join: () => string } {
  const hint = (index: string) => (sqlite ? ` indexed by ${index}` : '');
  return {
    columns: () => `${datasetColumnsSql('d')},
    m.role as org_role,
    m.process_datasets,
    (select max(tg.level) from team_grants tg${hint('team_grants_check')}
       join team_members tm on tm.team_id = tg.team_id and tm.user_id = ${user()}
      where tg.dataset_id = d.id and (tg.expires_at is null or tg.expires_at > ${now()})) as team_rank,
    (select g.level from user_grants g${hint('user_grants_check')}
      where g.dataset_id = d.id and g.user_id = ${user()} and (g.expires_at is null or g.expires_at > ${now()})) as direct_rank`,
    // The membership's primary key is (org_id, user_id): at most one row.
    join: () => ` left join org_members m${hint('org_members_user')} on m.user_id = ${user()} and m.org_id = d.org_id`,
  };
}

/** The check on the SQLite read connection: one statement, prepared once, with named parameters. */
const CHECK_ON_READER = (() => {
  const check = checkSql(
    () => '@user',
    () => '@now',
    true,
  );
  return `select ${check.columns()} from datasets d${check.join()} where d.id = @dataset`;
})();

/** A row of caller columns (named `caller_…`) and check columns, split in two. */
export function splitCallerRow<C>(row: Record<string, unknown>): { caller: C; check: DatasetRow & FactRow } {
  const caller: Record<string, unknown> = {};
  const check: Record<string, unknown> = {};
  for (const key in row) {
    if (key.startsWith('caller_')) caller[key.slice(7)] = row[key];
    else check[key] = row[key];
  }
  return { caller: caller as C, check: check as unknown as DatasetRow & FactRow };
}

/** A check read in the same statement as the caller (accounts/caller.ts), before the request's actor exists. */
export interface CallerCheck {
  datasetId: string;
  now: number;
  row: (DatasetRow & FactRow) | undefined;
  /** How long the statement that read it took. */
  seconds: number;
}

/** A check read with the caller, as the request's actor keeps it. */
interface PrefetchedCheck extends CallerCheck {
  db: Db;
}

/** By the request's actor, which nothing outlives the request. */
const prefetched = new WeakMap<Actor, PrefetchedCheck>();

/** Access decisions read in the same statement as their caller (the rest read the check alone). */
export const checksWithCaller = new Counter({
  name: 'tessera_access_checks_with_caller_total',
  help: 'Access decisions read in the same statement as the caller’s session or token',
  registers: [registry],
});

/**
 * Keeps, for this request only, a check read in the same statement as its caller. The route's
 * own check then takes it instead of a second statement; it is taken once, so any later check
 * in the request reads the database again. Nothing outlives the request, so a revocation
 * committed before it began is always seen.
 */
export function rememberCheck(actor: Actor, db: Db, check: CallerCheck): void {
  const { row } = check;
  prefetched.set(actor, { ...check, db, row: row === undefined || row.id === null ? undefined : row });
}

function takeRemembered(db: Db, actor: Actor, datasetId: string, now: number): PrefetchedCheck | undefined {
  const check = prefetched.get(actor);
  if (!check) return undefined;
  prefetched.delete(actor);
  // Read at the start of this very request, with the same clock.
  return check.db === db && check.datasetId === datasetId && check.now <= now && now - check.now < 1_000 ? check : undefined;
}

async function datasetWithFacts(db: Db, actor: Actor, datasetId: string, now: number): Promise<(DatasetRow & FactRow) | undefined> {
  const remembered = takeRemembered(db, actor, datasetId, now);
  if (remembered) {
    accessCheckDuration.observe(remembered.seconds);
    checksWithCaller.inc();
    return remembered.row;
  }
  // Open, the read connection answers at once (no await); only the first check waits for it to open.
  const reader = openedReader(db) ?? (await readerOf(db));
  if (reader) {
    const started = performance.now();
    const row = reader.get<DatasetRow & FactRow>(CHECK_ON_READER, { user: actor.id, now, dataset: datasetId });
    accessCheckDuration.observe((performance.now() - started) / 1000);
    return row;
  }
  const timer = accessCheckDuration.startTimer();
  return readFacts(db, actor.id, datasetId, now).finally(timer);
}

/** The check on `db` itself: PostgreSQL, a transaction's connection, an in-memory database. */
async function readFacts(db: Db, userId: string, datasetId: string, now: number): Promise<(DatasetRow & FactRow) | undefined> {
  const dialect = dialectOf(db);
  const p = new Parameters(dialect);
  const check = checkSql(
    () => p.add(userId),
    () => p.add(now),
    dialect === 'sqlite',
  );
  const columns = check.columns();
  const join = check.join();
  const where = `d.id = ${p.add(datasetId)}`;
  const rows = await readSql<DatasetRow & FactRow>(db, `select ${columns} from datasets d${join} where ${where}`, p.values, {
    prepare: true,
  });
  return rows[0];
}

/**
 * The effective level of a user on a dataset, in one round trip; null when none or no such
 * dataset. A caller acting through a scoped token gets at most the token's scope.
 */
export async function checkAccess(db: Db, actor: Actor, datasetId: string, now: number): Promise<AuthorizedDataset | null> {
  const row = await datasetWithFacts(db, actor, datasetId, now);
  if (!row) return null;
  const facts = factsOf(row);
  const level = effectiveLevel(facts);
  if (!level) return null;
  return {
    dataset: datasetOfRow(row),
    level: cappedLevel(actor, level),
    facts,
    processDatasets: mayProcessDatasets(facts.orgRole, row.process_datasets),
  };
}

/**
 * The gate every dataset route goes through: a dataset the user cannot read is not found,
 * one they can read but below `minimum` is forbidden.
 */
export async function authorizeDataset(db: Db, actor: Actor, datasetId: string, minimum: Level, now: number): Promise<AuthorizedDataset> {
  const access = await checkAccess(db, actor, datasetId, now);
  if (!access) throw new NotFound('Dataset');
  if (!atLeast(access.level, minimum)) {
    const scope = actor.scope;
    if (scope !== null && atLeast(effectiveLevel(access.facts), minimum)) throw tokenScopeRefusal(scope);
    throw new Forbidden(`This needs ${minimum} access to the dataset; you have ${access.level}.`);
  }
  // Every authorized use of a dataset counts for the access review, whatever the route. Noted
  // in memory and written in batches by the instance (usage.ts): the request never writes.
  recordGrantUse(db, actor.id, datasetId, access.facts, now);
  return access;
}
