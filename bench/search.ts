import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { listInventory } from '../src/access/inventory.js';
import { openStore } from '../src/store/database.js';
import { HEAVY_USER, userId } from './shape.js';
import { sample } from './stats.js';

/**
 * The name search over a kept bench database (`npm run bench -- --keep`), for terms from common
 * to absent, with the trigram index and without it (the keyset scan with the LIKE as a filter):
 *
 *   node --expose-gc --import tsx bench/search.ts --file /tmp/…/tessera.db
 *   node --expose-gc --import tsx bench/search.ts --schema bench_… (PostgreSQL, at BENCH_DATABASE_URL or TEST_DATABASE_URL)
 */
const TERMS = ['a', 'so', 'Sonar', 'sonar 1', 'r 12', 'sonar 12', 'Sonar 123', 'sonar 1234', 'xq7'];

const { values } = parseArgs({
  options: { file: { type: 'string' }, schema: { type: 'string' }, count: { type: 'string', default: '200' } },
});
const url = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const store = await openStore(
  values.file ? { kind: 'sqlite', file: values.file } : { kind: 'postgres', url, schema: values.schema ?? 'public' },
);
const user = userId(HEAVY_USER);
const now = Date.now();
const count = Number(values.count);
console.log('| term | names matching | with the index p50 / p99 | keyset scan only p50 / p99 |');
console.log('| --- | --- | --- | --- |');
for (const term of TERMS) {
  const matching = await sql<{ n: number }>`select count(*) as n from datasets where name_key like ${`%${term.toLowerCase()}%`}`.execute(
    store.db,
  );
  const time = async (indexedMatches?: number) => {
    const page = () => listInventory(store, { userId: user, minLevel: 'read', limit: 50, now, search: term, indexedMatches });
    const ms = (await sample(page, { count, budgetMs: 10_000, minimum: 20, warmUp: 20 })).millis();
    return `${ms.p50_ms} / ${ms.p99_ms} ms`;
  };
  console.log(`| "${term}" | ${Number(matching.rows[0]?.n ?? 0).toLocaleString('en')} | ${await time()} | ${await time(0)} |`);
}
await store.close();
