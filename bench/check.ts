import SQLite from 'better-sqlite3';
import pg from 'pg';
import { authorizeDataset, checkAccess } from '../src/access/check.js';
import { actingAs } from '../src/access/scope.js';
import type { DatabaseConfig } from '../src/config.js';
import { Forbidden, NotFound } from '../src/errors.js';
import type { Db } from '../src/store/database.js';
import { dialectOf } from '../src/store/reader.js';
import { datasetId, randomSource, userId } from './shape.js';
import { collectGarbage, processCpuNs, round, Samples } from './stats.js';
import type { WorldFacts } from './world.js';

export type Pair = [string, string];

/** Half pairs that hold a grant (hits, mostly), half random pairs (mostly misses). */
export function checkPairs(facts: WorldFacts, count: number, seed = 11): Pair[] {
  const random = randomSource(seed);
  const pairs: Pair[] = [];
  for (let i = 0; i < count; i += 1) {
    if (i % 2 === 0 && facts.grantPairs.length > 0) pairs.push(facts.grantPairs[Math.floor(random() * facts.grantPairs.length)]!);
    else pairs.push([userId(Math.floor(random() * facts.scale.users)), datasetId(Math.floor(random() * facts.scale.datasets))]);
  }
  return pairs;
}

export interface CheckFigures {
  p50_us: number;
  p99_us: number;
  p999_us: number;
  /** The same calls timed by the process's time on a CPU (less the clock's own cost): what waiting for a CPU leaves out. */
  cpu_p50_us: number;
  cpu_p99_us: number;
  /**
   * Each of some pairs checked five times and its fastest taken: the work itself, without what
   * the machine does meanwhile (another process, the hypervisor, a page mapped again).
   */
  best_of_5_p50_us: number;
  best_of_5_p99_us: number;
  ops_per_s: number;
  hit_share: number;
  samples: number;
  /**
   * The route's gate, `authorizeDataset`, which throws NotFound on a miss, and the check timed
   * side by side with it (`check_…`): the two alternate, two samples each.
   */
  authorize: { p50_us: number; p99_us: number; check_p50_us: number; check_p99_us: number };
}

/** A miss: the gate answers it by throwing 404 or 403, as the routes see it; anything else is a failure. */
function refusalOnly(error: unknown): void {
  if (!(error instanceof NotFound || error instanceof Forbidden)) throw error;
}

/** Each check's time on a CPU, less what reading that clock costs. */
async function cpuTimes(db: Db, pairs: Pair[], at: number): Promise<Samples> {
  const overhead = new Samples();
  for (let i = 0; i < 2_000; i += 1) {
    const t = processCpuNs();
    overhead.add(processCpuNs() - t);
  }
  const clockCost = overhead.quantile(0.5);
  const samples = new Samples();
  for (const [u, d] of pairs) {
    const t = processCpuNs();
    await checkAccess(db, actingAs(u), d, at);
    samples.add(Math.max(0, processCpuNs() - t - clockCost));
  }
  return samples;
}

/** Each pair's fastest of five checks. */
async function bestOfFive(db: Db, pairs: Pair[], at: number): Promise<Samples> {
  const best = pairs.map(() => Number.POSITIVE_INFINITY);
  for (let round = 0; round < 5; round += 1) {
    for (const [i, [u, d]] of pairs.entries()) {
      const t = process.hrtime.bigint();
      await checkAccess(db, actingAs(u), d, at);
      best[i] = Math.min(best[i]!, Number(process.hrtime.bigint() - t));
    }
  }
  const samples = new Samples();
  for (const ns of best) samples.add(ns);
  return samples;
}

/** The effective level of random (user, dataset) pairs through exactly the function the routes use. */
export async function measureCheck(db: Db, facts: WorldFacts, count: number): Promise<CheckFigures> {
  const pairs = checkPairs(facts, count);
  const at = Date.now();
  collectGarbage();
  for (const [u, d] of pairs.slice(0, Math.min(5_000, count))) await checkAccess(db, actingAs(u), d, at);

  let hits = 0;
  const samples = new Samples();
  const started = performance.now();
  for (const [u, d] of pairs) {
    const t = process.hrtime.bigint();
    const access = await checkAccess(db, actingAs(u), d, at);
    samples.add(Number(process.hrtime.bigint() - t));
    if (access) hits += 1;
  }
  const seconds = (performance.now() - started) / 1000;
  // Time on this process's CPU says what the check costs only where the database runs in the process.
  const cpu = dialectOf(db) === 'sqlite' ? await cpuTimes(db, pairs.slice(0, 20_000), at) : null;
  const best = (await bestOfFive(db, pairs.slice(0, dialectOf(db) === 'sqlite' ? 20_000 : 4_000), at)).micros();

  // The gate against the check, alternating two samples by two, each on pairs of its own: what
  // the machine does meanwhile falls on both alike. (The pairs alternate between a grant and a
  // random pair, so each takes one of each.) Timed one after the other, a busy moment during
  // either run decided their ratio at p99.
  const gate = new Samples();
  const alongside = new Samples();
  for (const [i, [u, d]] of pairs.slice(0, Math.min(count, 50_000)).entries()) {
    const t = process.hrtime.bigint();
    if (Math.floor(i / 2) % 2 === 0) {
      await checkAccess(db, actingAs(u), d, at);
      alongside.add(Number(process.hrtime.bigint() - t));
    } else {
      await authorizeDataset(db, actingAs(u), d, 'read', at).catch(refusalOnly);
      gate.add(Number(process.hrtime.bigint() - t));
    }
  }
  return {
    ...samples.micros(),
    p999_us: round(samples.quantile(0.999) / 1e3),
    cpu_p50_us: cpu ? round(cpu.quantile(0.5) / 1e3) : Number.NaN,
    cpu_p99_us: cpu ? round(cpu.quantile(0.99) / 1e3) : Number.NaN,
    best_of_5_p50_us: best.p50_us,
    best_of_5_p99_us: best.p99_us,
    ops_per_s: Math.round(count / seconds),
    hit_share: round(hits / count, 3),
    samples: count,
    authorize: {
      p50_us: gate.micros().p50_us,
      p99_us: gate.micros().p99_us,
      check_p50_us: alongside.micros().p50_us,
      check_p99_us: alongside.micros().p99_us,
    },
  };
}

/**
 * The physical floor on this machine, in the same run: one primary-key lookup of a dataset id
 * through the raw driver (SQLite, same connection settings as the read connection), or one
 * `select 1` round trip (PostgreSQL).
 */
export async function measureFloor(config: DatabaseConfig, facts: WorldFacts, count: number): Promise<{ p50_us: number; p99_us: number }> {
  const random = randomSource(3);
  const ids = Array.from({ length: count }, () => datasetId(Math.floor(random() * facts.scale.datasets)));
  const samples = new Samples();
  if (config.kind === 'sqlite') {
    const db = new SQLite(config.file, { readonly: true });
    db.pragma('cache_size = -65536');
    db.pragma('mmap_size = 2147483648');
    const lookup = db.prepare('select id from datasets where id = ?');
    for (const id of ids.slice(0, 2_000)) lookup.get(id);
    for (const id of ids) {
      const t = process.hrtime.bigint();
      lookup.get(id);
      samples.add(Number(process.hrtime.bigint() - t));
    }
    db.close();
  } else {
    const client = new pg.Client({ connectionString: config.url });
    await client.connect();
    for (let i = 0; i < Math.min(count, 5_000); i += 1) {
      const t = process.hrtime.bigint();
      await client.query({ name: 'floor', text: 'select 1' });
      samples.add(Number(process.hrtime.bigint() - t));
    }
    await client.end();
  }
  const { p50_us, p99_us } = samples.micros();
  return { p50_us, p99_us };
}
