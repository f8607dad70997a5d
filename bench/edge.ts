import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { load, startServerProcess } from './http.js';
import { startInstance } from './instance.js';
import { inventoryPage, loadFixtures, measureMixed, readDataset } from './load.js';
import { step } from './progress.js';
import { isScaleName, scaleOf } from './scale.js';
import { createBenchDatabase, seedWorld } from './seed.js';
import { randomSource } from './shape.js';
import { round } from './stats.js';

/**
 * The HTTP edge alone, for comparing two versions of the code quickly: seeds a world, then
 * measures the authorized GET, the inventory page, the bare route and the mixed load at one
 * offered rate. With `--profile DIR`, each measurement gets a server process of its own and a
 * CPU profile of it in DIR/<measurement>/.
 *
 *   npx tsx bench/edge.ts --db sqlite --scale medium --seconds 8 --profile /tmp/prof
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
    },
  });
  if (values.db !== 'sqlite' && values.db !== 'postgres') throw new Error('--db must be sqlite or postgres');
  if (!isScaleName(values.scale)) throw new Error('--scale must be small, medium or full');
  const seconds = Number(values.seconds);
  const database = await createBenchDatabase(values.db, scaleOf(values.scale));
  const loadBefore = os.loadavg();
  try {
    const { facts } = await seedWorld(database, scaleOf(values.scale));
    const instance = await startInstance(database);
    const fixtures = await loadFixtures(instance.ctx.db, facts);
    const serve = async <T>(name: string, work: (server: Awaited<ReturnType<typeof startServerProcess>>) => Promise<T>) => {
      if (values.profile) {
        const dir = path.join(values.profile, name);
        fs.mkdirSync(dir, { recursive: true });
        process.env.BENCH_PROFILE_DIR = dir;
      }
      step(name);
      const server = await startServerProcess(database);
      try {
        return await work(server);
      } finally {
        await server.stop();
      }
    };
    const random = randomSource(5);
    const authorized = await serve('authorized', async (server) => {
      await load(server.url, () => readDataset(fixtures, random), { seconds: 1 });
      return load(server.url, () => readDataset(fixtures, random), { seconds });
    });
    const inventory = await serve('inventory', (server) =>
      load(server.url, () => inventoryPage(fixtures, fixtures.typicalUser), { seconds }),
    );
    const bare = await serve('bare', (server) => load(server.bareUrl, () => ({ method: 'GET', path: '/bare', headers: {} }), { seconds }));
    const mixed = await serve('mixed', (server) => measureMixed(server, fixtures, [Number(values.rate)], seconds));
    await instance.stop(1_000);
    const result = {
      db: values.db,
      scale: values.scale,
      load_before: loadBefore,
      load_after: os.loadavg(),
      http: { authorized, inventory, bare, ratio: round(authorized.rps / bare.rps, 3) },
      mixed,
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
