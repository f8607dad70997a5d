import { sql } from 'kysely';
import { listInventory } from '../src/access/inventory.js';
import type { Store } from '../src/store/database.js';
import { type Samples, sample } from './stats.js';
import { RARE_SEARCH_TERM, SEARCH_TERM, type WorldFacts } from './world.js';

const PAGE = 50;

type Figures = { p50_ms: number; p99_ms: number; samples: number };

export interface InventoryFigures {
  heavy_first: Figures;
  heavy_page20: Figures;
  typical_first: Figures;
  typical_page20: Figures;
  external_first: Figures;
  search: Figures & { term: string };
  /** A term that matches a few names: the trigram index finds them first. */
  search_rare: Figures & { term: string };
  /** How many datasets each of these users can see (through the naive query, once). */
  sees: { heavy: number; typical: number; external: number };
}

async function cursorOfPage(store: Store, userId: string, page: number, now: number): Promise<string | undefined> {
  let cursor: string | undefined;
  for (let i = 1; i < page; i += 1) {
    const result = await listInventory(store, { userId, minLevel: 'read', limit: PAGE, cursor, now });
    if (!result.nextCursor) break;
    cursor = result.nextCursor;
  }
  return cursor;
}

/** Warmed up first: on PostgreSQL each pooled connection prepares its statements on first use. */
async function timePage(store: Store, userId: string, now: number, extra: { cursor?: string | undefined; search?: string }, count: number) {
  const page = () => listInventory(store, { userId, minLevel: 'read', limit: PAGE, now, ...extra });
  return sample(page, { count, budgetMs: 15_000, minimum: 20, warmUp: 30 });
}

/** First page and the 20th (keyset) page of the inventory for each kind of user, and a name search. */
export async function measureInventory(store: Store, facts: WorldFacts, count: number): Promise<InventoryFigures> {
  const now = Date.now();
  const { heavyUser, typicalUser, externalUser } = facts;
  const heavyCursor = await cursorOfPage(store, heavyUser, 20, now);
  const typicalCursor = await cursorOfPage(store, typicalUser, 20, now);
  const figures = (s: Samples) => s.millis();
  return {
    heavy_first: figures(await timePage(store, heavyUser, now, {}, count)),
    heavy_page20: figures(await timePage(store, heavyUser, now, { cursor: heavyCursor }, count)),
    typical_first: figures(await timePage(store, typicalUser, now, {}, count)),
    typical_page20: figures(await timePage(store, typicalUser, now, { cursor: typicalCursor }, count)),
    external_first: figures(await timePage(store, externalUser, now, {}, count)),
    search: { ...figures(await timePage(store, heavyUser, now, { search: SEARCH_TERM }, count)), term: SEARCH_TERM },
    search_rare: { ...figures(await timePage(store, heavyUser, now, { search: RARE_SEARCH_TERM }, count)), term: RARE_SEARCH_TERM },
    sees: {
      heavy: await visibleCount(store, heavyUser, now),
      typical: await visibleCount(store, typicalUser, now),
      external: await visibleCount(store, externalUser, now),
    },
  };
}

/** Every access path as one UNION, then GROUP BY for the level: what most applications write. */
function accessPathsUnion(userId: string, now: number) {
  return sql`
    select d.id as dataset_id, 4 as level from datasets d join org_members m on m.org_id = d.org_id
      where m.user_id = ${userId} and m.role = 'admin'
    union all
    select d.id, 1 from datasets d join org_members m on m.org_id = d.org_id
      where m.user_id = ${userId} and d.visibility in ('external', 'organization')
    union all
    select tg.dataset_id, tg.level from team_grants tg join team_members tm on tm.team_id = tg.team_id
      where tm.user_id = ${userId} and (tg.expires_at is null or tg.expires_at > ${now})
    union all
    select g.dataset_id, g.level from user_grants g join datasets d on d.id = g.dataset_id
      where g.user_id = ${userId} and (g.expires_at is null or g.expires_at > ${now})
        and (d.visibility = 'external' or exists (select 1 from org_members m where m.org_id = d.org_id and m.user_id = ${userId}))`;
}

export function naiveInventoryPage(store: Store, userId: string, now: number, offset: number) {
  return sql<{ id: string; name: string; level: number }>`
    select d.id, d.name, d.org_id, max(x.level) as level
    from (${accessPathsUnion(userId, now)}) x join datasets d on d.id = x.dataset_id
    group by d.id, d.name, d.name_key, d.org_id
    order by d.name_key, d.id
    limit ${PAGE} offset ${offset}`.execute(store.db);
}

async function visibleCount(store: Store, userId: string, now: number): Promise<number> {
  const { rows } = await sql<{ n: number }>`select count(distinct dataset_id) as n from (${accessPathsUnion(userId, now)}) x`.execute(
    store.db,
  );
  return Number(rows[0]?.n ?? 0);
}

export interface NaiveFigures {
  heavy_p99_ms: number;
  heavy_p50_ms: number;
  heavy_page20_p99_ms: number;
  samples: number;
}

/** The naive inventory for the heavy user, first page and page 20 (OFFSET 950). */
export async function measureNaiveInventory(store: Store, facts: WorldFacts): Promise<NaiveFigures> {
  const now = Date.now();
  const budget = { count: 50, budgetMs: 20_000, minimum: 3 };
  const first = await sample(() => naiveInventoryPage(store, facts.heavyUser, now, 0), budget);
  const page20 = await sample(() => naiveInventoryPage(store, facts.heavyUser, now, 19 * PAGE), budget);
  return {
    heavy_p50_ms: first.millis().p50_ms,
    heavy_p99_ms: first.millis().p99_ms,
    heavy_page20_p99_ms: page20.millis().p99_ms,
    samples: first.count,
  };
}
