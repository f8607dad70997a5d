import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { listInventory } from '../src/access/inventory.js';
import { SmtpSink } from '../test/helpers/smtp.js';
import { measureCasbinPeer } from './casbin.js';
import { writeGrowthChart } from './chart.js';
import { measureCheck, measureFloor } from './check.js';
import { measureFanOut } from './fanout.js';
import { startServerProcess } from './http.js';
import { type Instance, startInstance } from './instance.js';
import { measureInventory, measureNaiveInventory, naiveInventoryPage } from './inventory.js';
import { loadFixtures, measureHttp, measureMixed } from './load.js';
import { step } from './progress.js';
import { assemble, markdownOf } from './report.js';
import { measureRevocation } from './revocation.js';
import { isScaleName, SCALES, type ScaleName, scaleOf } from './scale.js';
import { type BenchDatabase, createBenchDatabase, type DatabaseKind, seedWorld } from './seed.js';
import { round } from './stats.js';
import type { WorldFacts } from './world.js';
import { measureWrites } from './writes.js';

const USAGE = `npm run bench -- [--db sqlite|postgres] [--scale small|medium|full] [--out bench.json] [--keep]
npm run bench -- --chart docs/performance-growth.svg bench-small.json bench-medium.json bench-full.json`;

/** How long and how often, by scale: `small` is the CI smoke test and must stay quick. */
function effortOf(scale: ScaleName) {
  const small = scale === 'small';
  return {
    checks: small ? 20_000 : 100_000,
    // A p99 of 200 pages was their second slowest: one pause of the collector decided it.
    pages: small ? 50 : 1_000,
    httpSeconds: small ? 3 : 10,
    mixedRates: [1_000, 5_000, 20_000],
    mixedSeconds: small ? 3 : 10,
    writes: small ? 200 : 1_000,
    fanOut: small ? 5 : 20,
    revocations: small ? 500 : 10_000,
    casbinBudgetMs: small ? 5_000 : 20_000,
  };
}

type Effort = ReturnType<typeof effortOf>;

/** The check, the inventory and the naive inventory, in this process. */
async function measureReads(instance: Instance, database: BenchDatabase, facts: WorldFacts, effort: Effort) {
  const { ctx, store } = instance;
  step('check');
  const check = { ...(await measureCheck(ctx.db, facts, effort.checks)), floor: await measureFloor(database.config, facts, effort.checks) };
  // The gate noted thousands of uses of grants: written now, not by the timer in the middle of the
  // inventory's measurement (on PostgreSQL its statements run beside the pages).
  await ctx.usage.flush();
  step('inventory');
  const inventory = await measureInventory(store, facts, effort.pages);
  step('naive inventory');
  const naive = await measureNaiveInventory(store, facts);
  const ours = await listInventory(store, { userId: facts.heavyUser, minLevel: 'read', limit: 50, now: Date.now() });
  const theirs = await naiveInventoryPage(store, facts.heavyUser, Date.now(), 0);
  const agrees = JSON.stringify(ours.entries.map((e) => e.dataset.id)) === JSON.stringify(theirs.rows.map((r) => r.id));
  return { check, inventory, naive: { ...naive, ratio_p99: round(naive.heavy_p99_ms / inventory.heavy_first.p99_ms, 1), agrees } };
}

/** HTTP and mixed load on the server process, then writes, fan-out and revocation across both instances. */
async function measureServed(instance: Instance, database: BenchDatabase, facts: WorldFacts, effort: Effort) {
  step('HTTP');
  // The server process sends its mail to the sink too: on PostgreSQL every instance is woken for
  // every queued mail, and the first to claim it sends it.
  const sink = await SmtpSink.start();
  const server = await startServerProcess(database, sink.url);
  try {
    const fixtures = await loadFixtures(instance.ctx.db, facts);
    const http = await measureHttp(server, fixtures, effort.httpSeconds);
    const memory = await server.memory();
    step('mixed load');
    const mixed = await measureMixed(server, fixtures, effort.mixedRates, effort.mixedSeconds);
    step('mixed load, two server processes');
    const two = await startServerProcess(database, undefined, 2);
    // Warmed as the one process was by the HTTP measurements before its mixed load.
    await measureMixed(two, fixtures, [effort.mixedRates[0]!], 2);
    const mixedWorkers = await measureMixed(two, fixtures, effort.mixedRates, effort.mixedSeconds).finally(() => two.stop());
    step('writes');
    const writes = await measureWrites(instance, facts, sink, effort.writes);
    step('fan-out writes');
    const fanout = await measureFanOut(instance, facts, sink, effort.fanOut);
    step('revocation');
    const revocation = await measureRevocation(instance, server, facts, effort.revocations);
    return { http, memory, mixed, mixed_workers: [{ workers: 2, runs: mixedWorkers }], writes, fanout, revocation };
  } finally {
    await sink.close();
    await server.stop();
  }
}

async function run(kind: DatabaseKind, scaleName: ScaleName, out: string, keep: boolean): Promise<void> {
  const scale = scaleOf(scaleName);
  const effort = effortOf(scaleName);
  const loadBefore = os.loadavg();
  const database = await createBenchDatabase(kind, scale);
  try {
    const seeded = await seedWorld(database, scale);
    const { facts } = seeded;
    const instance = await startInstance(database);
    const reads = await measureReads(instance, database, facts, effort);
    const served = await measureServed(instance, database, facts, effort);
    const casbin = await measureCasbinPeer({
      kind,
      runScale: scaleName,
      ours: reads.check,
      store: instance.store,
      facts,
      budgetMs: effort.casbinBudgetMs,
    });
    await instance.stop(1_000);

    const result = assemble({
      scale: scaleName,
      db: kind,
      loadBefore,
      seed_s: round(seeded.seconds, 1),
      seed_rows: seeded.rows,
      seed_rows_per_s: Math.round(seeded.rowsPerSecond),
      db_mb: seeded.sizeMb,
      world: facts.counts,
      rss_mb: served.memory.rss_mb,
      ...served,
      check: reads.check,
      inventory: reads.inventory,
      peer: { casbin, naive_inventory: reads.naive },
    });
    fs.writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
    const markdown = markdownOf(result);
    fs.writeFileSync(`${out.replace(/\.json$/, '')}.md`, markdown);
    process.stdout.write(markdown);
  } finally {
    if (keep) step(`kept the database: ${JSON.stringify(database.config)}`);
    else await database.drop();
  }
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      db: { type: 'string', default: 'sqlite' },
      scale: { type: 'string', default: 'small' },
      out: { type: 'string', default: 'bench.json' },
      keep: { type: 'boolean', default: false },
      chart: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return void process.stdout.write(`${USAGE}\n`);
  if (values.chart) return writeGrowthChart(values.chart, positionals);
  if (values.db !== 'sqlite' && values.db !== 'postgres') throw new Error(`--db must be sqlite or postgres\n${USAGE}`);
  if (!isScaleName(values.scale)) throw new Error(`--scale must be one of ${SCALES.join(', ')}\n${USAGE}`);
  await run(values.db, values.scale, path.resolve(values.out), values.keep);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
