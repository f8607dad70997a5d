import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { DatabaseConfig } from '../src/config.js';
import { type LoadRequest, load, startServerProcess } from './http.js';
import { startInstance } from './instance.js';
import { measureInventory } from './inventory.js';
import { inventoryPage, loadFixtures, measureMixed, readDataset } from './load.js';
import { step } from './progress.js';
import { isScaleName, scaleOf } from './scale.js';
import { type BenchDatabase, createBenchDatabase, seedWorld } from './seed.js';
import type { WorldFacts } from './world.js';

/** A seeded world kept for later runs (`--save`, `--world`). */
interface SavedWorld {
  config: DatabaseConfig;
  dataDir: string;
  facts: WorldFacts;
}

import { randomSource } from './shape.js';
import { round } from './stats.js';

/**
 * The HTTP edge alone, for comparing two versions of the code quickly: seeds a world, then
 * measures the authorized GET, the inventory page, the bare route and the mixed load at one
 * offered rate. With `--profile DIR`, each measurement gets a server process of its own and a
 * CPU profile of it in DIR/<measurement>/.
 *
 *   npx tsx bench/edge.ts --db sqlite --scale medium --seconds 8 --profile /tmp/prof
 *
 * `--save FILE` keeps the seeded world and writes where it is to FILE; `--world FILE` measures
 * that world again instead of seeding one (and keeps it); `--only authorized,bare` picks the
 * measurements (`mixed_workers`: the mixed load on two server processes); `pages` adds the
 * inventory query in process, as the full benchmark measures it (run with
 * `node --expose-gc --import tsx bench/edge.ts …` for it to collect the garbage first).
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      db: { type: 'string', default: 'sqlite' },
      scale: { type: 'string', default: 'medium' },
      seconds: { type: 'string', default: '8' },
      rate: { type: 'string', default: '5000' },
      profile: { type: 'string' },
      out: { type: 'string' },
      save: { type: 'string' },
      world: { type: 'string' },
      only: { type: 'string', default: 'authorized,inventory,bare,mixed' },
      pages: { type: 'string', default: '300' },
    },
  });
  const only = new Set(values.only.split(','));
  if (values.db !== 'sqlite' && values.db !== 'postgres') throw new Error('--db must be sqlite or postgres');
  if (!isScaleName(values.scale)) throw new Error('--scale must be small, medium or full');
  const seconds = Number(values.seconds);
  const saved: SavedWorld | undefined = values.world ? JSON.parse(fs.readFileSync(values.world, 'utf8')) : undefined;
  const database: BenchDatabase = saved
    ? { kind: saved.config.kind, config: saved.config, dataDir: saved.dataDir, drop: async () => {} }
    : await createBenchDatabase(values.db, scaleOf(values.scale));
  const loadBefore = os.loadavg();
  try {
    const facts = saved ? saved.facts : (await seedWorld(database, scaleOf(values.scale))).facts;
    if (values.save) {
      const world: SavedWorld = { config: database.config, dataDir: database.dataDir, facts };
      fs.writeFileSync(values.save, JSON.stringify(world));
      database.drop = async () => {};
    }
    const instance = await startInstance(database);
    const fixtures = await loadFixtures(instance.ctx.db, facts);
    const serve = async <T>(
      name: string,
      work: (server: Awaited<ReturnType<typeof startServerProcess>>) => Promise<T>,
      warm?: () => LoadRequest,
      workers = 1,
    ) => {
      if (values.profile) {
        const dir = path.join(values.profile, name);
        fs.mkdirSync(dir, { recursive: true });
        process.env.BENCH_PROFILE_DIR = dir;
      }
      step(name);
      const server = await startServerProcess(database, undefined, workers);
      try {
        if (warm) await load(server.url, warm, { seconds: 1 });
        const cpuBefore = await server.cpuMicros();
        const result = await work(server);
        const cpu = (await server.cpuMicros()) - cpuBefore;
        // The server's own CPU time per request: what the load generator beside it cannot blur.
        if (result && typeof result === 'object' && 'requests' in result) {
          Object.assign(result, { server_cpu_us_per_request: round(cpu / Number(result.requests), 1) });
        }
        return result;
      } finally {
        await server.stop();
      }
    };
    const random = randomSource(5);
    const measure = <T>(
      name: string,
      work: (server: Awaited<ReturnType<typeof startServerProcess>>) => Promise<T>,
      warm?: () => LoadRequest,
      workers = 1,
    ) => (only.has(name) ? serve(name, work, warm, workers) : Promise.resolve(undefined));
    const read = () => readDataset(fixtures, random);
    const page = () => inventoryPage(fixtures, fixtures.typicalUser);
    const authorized = await measure('authorized', (server) => load(server.url, read, { seconds }), read);
    const inventory = await measure('inventory', (server) => load(server.url, page, { seconds }), page);
    const bare = await measure('bare', (server) =>
      load(server.bareUrl, () => ({ method: 'GET', path: '/bare', headers: {} }), { seconds }),
    );
    const mixed = await measure('mixed', (server) => measureMixed(server, fixtures, [Number(values.rate)], seconds));
    // The same on two server processes sharing the port (WORKERS=2).
    const mixedWorkers = await measure(
      'mixed_workers',
      (server) => measureMixed(server, fixtures, [Number(values.rate)], seconds),
      undefined,
      2,
    );
    // The inventory query in this process, as the full benchmark measures it (`--only pages`).
    let pages: Awaited<ReturnType<typeof measureInventory>> | undefined;
    if (only.has('pages')) {
      step('pages');
      pages = await measureInventory(instance.store, facts, Number(values.pages));
    }
    await instance.stop(1_000);
    const result = {
      db: values.db,
      scale: values.scale,
      load_before: loadBefore,
      load_after: os.loadavg(),
      http: { authorized, inventory, bare, ratio: authorized && bare ? round(authorized.rps / bare.rps, 3) : null },
      mixed,
      mixed_workers: mixedWorkers,
      inventory: pages,
    };
    const text = JSON.stringify(result, null, 2);
    if (values.out) fs.writeFileSync(values.out, `${text}\n`);
    process.stdout.write(`${text}\n`);
  } finally {
    await database.drop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
