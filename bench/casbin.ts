import { fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkAccess } from '../src/access/check.js';
import { actingAs } from '../src/access/scope.js';
import { type Db, openStore, type Store } from '../src/store/database.js';
import { checkPairs, measureCheck } from './check.js';
import { step } from './progress.js';
import { SCALES, type ScaleName, scaleOf } from './scale.js';
import { createBenchDatabase, type DatabaseKind, seedWorld } from './seed.js';
import { round, Samples } from './stats.js';
import type { WorldFacts } from './world.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const LOAD_LIMIT_MS = 120_000;

export interface CasbinRun {
  scale: ScaleName;
  load_s: number;
  rss_mb: number;
  policies: number;
  groupings: number;
  check_p50_us: number;
  check_p99_us: number;
  samples: number;
  /** Share of the sampled pairs where casbin's read decision equals ours. */
  agreement: number;
}

interface Loaded {
  load_s: number;
  rss_mb: number;
  policies: number;
  groupings: number;
}

/** (user, org, dataset) with our decision: casbin needs the dataset's organization (its domain) in the request. */
export async function casbinRequests(db: Db, facts: WorldFacts, count: number) {
  const now = Date.now();
  const requests: [string, string, string][] = [];
  const expected: boolean[] = [];
  for (const [user, dataset] of checkPairs(facts, count, 31)) {
    const access = await checkAccess(db, actingAs(user), dataset, now);
    const org =
      access?.dataset.org_id ?? (await db.selectFrom('datasets').select('org_id').where('id', '=', dataset).executeTakeFirst())?.org_id;
    if (!org) continue;
    requests.push([user, org, dataset]);
    expected.push(access !== null);
  }
  return { requests, expected };
}

/** Loads the world of `scale` into casbin in a child process; null when loading takes over two minutes. */
export async function runCasbin(
  scale: ScaleName,
  now: number,
  requests: [string, string, string][],
  expected: boolean[],
  budgetMs: number,
): Promise<CasbinRun | null> {
  step(`casbin: loading the ${scale} world (at most two minutes)`);
  const child = fork(path.join(here, 'casbin-child.ts'), [], {
    execArgv: ['--import', 'tsx', '--max-old-space-size=16384'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const orphan = () => child.kill('SIGKILL');
  process.once('exit', orphan);
  const message = <T>(type: string, timeoutMs: number) =>
    new Promise<T | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), timeoutMs);
      child.on('message', (m: { type: string } & T) => {
        if (m.type !== type) return;
        clearTimeout(timer);
        resolve(m);
      });
      child.once('exit', () => resolve(null));
    });
  const generated = message<object>('generated', 10 * 60_000);
  child.send({ scale, now, pairs: requests, budgetMs });
  // The two minutes start once the rules exist, as if they had been read from a database.
  const loadedMessage = generated.then((g) => (g ? message<Loaded>('loaded', LOAD_LIMIT_MS) : null));
  const measuredMessage = message<{ latencies: number[]; decisions: boolean[] }>('measured', 10 * 60_000 + LOAD_LIMIT_MS + budgetMs * 3);
  const loaded = await loadedMessage;
  if (!loaded) {
    child.kill('SIGKILL');
    step(`casbin: the ${scale} world did not load within two minutes`);
    return null;
  }
  const measured = await measuredMessage;
  child.kill('SIGKILL');
  process.off('exit', orphan);
  if (!measured) return null;
  const samples = new Samples();
  for (const ns of measured.latencies) samples.add(ns);
  const agreeing = measured.decisions.filter((d, i) => d === expected[i]).length;
  return {
    scale,
    load_s: round(loaded.load_s, 2),
    rss_mb: loaded.rss_mb,
    policies: loaded.policies,
    groupings: loaded.groupings,
    check_p50_us: samples.micros().p50_us,
    check_p99_us: samples.micros().p99_us,
    samples: samples.count,
    agreement: round(agreeing / Math.max(1, measured.decisions.length), 4),
  };
}

export interface CasbinPeer extends CasbinRun {
  ours_check_p50_us: number;
  ours_check_p99_us: number;
  /** casbin's p99 over ours, at the same scale. */
  p99_ratio: number;
}

/**
 * casbin at the largest scale, up to the run's, that it loads within two minutes, against our
 * check at that same scale: the run's own figures, or those of a world seeded for the purpose.
 */
export async function measureCasbinPeer(run: {
  kind: DatabaseKind;
  runScale: ScaleName;
  ours: { p50_us: number; p99_us: number };
  store: Store;
  facts: WorldFacts;
  budgetMs: number;
}): Promise<CasbinPeer | null> {
  for (const scale of SCALES.slice(0, SCALES.indexOf(run.runScale) + 1).reverse()) {
    let { store, facts, ours } = run;
    let drop = async () => {};
    if (scale !== run.runScale) {
      step(`casbin comparison at ${scale}: seeding our side of it too`);
      const database = await createBenchDatabase(run.kind, scaleOf(scale));
      facts = (await seedWorld(database, scaleOf(scale))).facts;
      const own = await openStore(database.config);
      store = own;
      ours = await measureCheck(own.db, facts, 50_000);
      drop = async () => {
        await own.close();
        await database.drop();
      };
    }
    const { requests, expected } = await casbinRequests(store.db, facts, 2_000);
    const result = await runCasbin(scale, facts.now, requests, expected, run.budgetMs);
    await drop();
    if (result) {
      return {
        ...result,
        ours_check_p50_us: ours.p50_us,
        ours_check_p99_us: ours.p99_us,
        p99_ratio: round(result.check_p99_us / ours.p99_us, 1),
      };
    }
  }
  return null;
}
