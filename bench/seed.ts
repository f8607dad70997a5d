import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { DatabaseConfig } from '../src/config.js';
import { migrate, openStore } from '../src/store/database.js';
import { loaderFor } from './bulk.js';
import { ProgressBar, step } from './progress.js';
import type { Scale } from './scale.js';
import { COLUMNS, startWorld, TABLES, type TableName, type WorldFacts, worldRows } from './world.js';

export type DatabaseKind = 'sqlite' | 'postgres';

export interface BenchDatabase {
  kind: DatabaseKind;
  config: DatabaseConfig;
  /** Where the server keeps its files (and, on SQLite, the database). */
  dataDir: string;
  drop(): Promise<void>;
}

export const POSTGRES_URL = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';

/** A fresh database for one run: a new SQLite file, or a new PostgreSQL schema. */
export async function createBenchDatabase(kind: DatabaseKind, scale: Scale): Promise<BenchDatabase> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `tessera-bench-${scale.name}-`));
  const removeDir = async () => fs.rmSync(dataDir, { recursive: true, force: true });
  if (kind === 'sqlite') {
    return { kind, dataDir, config: { kind: 'sqlite', file: path.join(dataDir, 'tessera.db') }, drop: removeDir };
  }
  const schema = `bench_${scale.name}_${randomBytes(4).toString('hex')}`;
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    await client.query(statement);
    await client.end();
  };
  await admin(`create schema ${schema}`);
  return {
    kind,
    dataDir,
    config: { kind: 'postgres', url: POSTGRES_URL, schema },
    drop: async () => {
      await admin(`drop schema if exists ${schema} cascade`);
      await removeDir();
    },
  };
}

export interface Seeded {
  facts: WorldFacts;
  seconds: number;
  rows: number;
  rowsPerSecond: number;
  /** The database on disk after seeding, indexes included. */
  sizeMb: number;
}

async function sizeMb(config: DatabaseConfig): Promise<number> {
  if (config.kind === 'sqlite') {
    const files = [config.file, `${config.file}-wal`].filter((f) => fs.existsSync(f));
    return Math.round(files.reduce((sum, f) => sum + fs.statSync(f).size, 0) / 1024 / 1024);
  }
  const client = new pg.Client({ connectionString: config.url });
  await client.connect();
  const { rows } = await client.query<{ bytes: string }>(
    `select sum(pg_total_relation_size(c.oid)) as bytes from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = $1 and c.relkind = 'r'`,
    [config.schema ?? 'public'],
  );
  await client.end();
  return Math.round(Number(rows[0]?.bytes ?? 0) / 1024 / 1024);
}

/** Migrates the fresh database, then loads the world through the bulk path with a progress bar. */
export async function seedWorld(database: BenchDatabase, scale: Scale): Promise<Seeded> {
  const store = await openStore(database.config);
  await migrate(store);
  await store.close();

  const started = performance.now();
  const { shape, facts } = startWorld(scale, Date.now());
  const loader = await loaderFor(database.config);
  const kept = new Map<TableName, { columns: string[]; indexes: number[] }>();
  for (const table of TABLES) {
    const existing = new Set(await loader.columnsOf(table));
    const all: readonly string[] = COLUMNS[table];
    const indexes = all.flatMap((c, i) => (existing.has(c) ? [i] : []));
    kept.set(table, { columns: indexes.map((i) => all[i]!), indexes });
  }
  await loader.suspendIndexes(TABLES);

  const bar = new ProgressBar(`seeding ${scale.name}`, scale.datasets);
  let rows = 0;
  for (const batch of worldRows(shape, facts.now, facts)) {
    const { columns, indexes } = kept.get(batch.table)!;
    const projected = indexes.length === COLUMNS[batch.table].length ? batch.rows : batch.rows.map((r) => indexes.map((i) => r[i]!));
    await loader.insert(batch.table, columns, projected);
    rows += batch.rows.length;
    bar.update(facts.counts.datasets, `${(rows / 1e6).toFixed(2)}M rows`);
  }
  bar.finish(`${(rows / 1e6).toFixed(2)}M rows`);
  const indexBar = new ProgressBar('indexing', 1);
  await loader.restoreIndexes((name) => indexBar.update(0, name));
  indexBar.finish();
  await loader.close();
  const seconds = (performance.now() - started) / 1000;
  step(`seeded ${rows.toLocaleString('en')} rows in ${seconds.toFixed(1)} s (${Math.round(rows / seconds).toLocaleString('en')} rows/s)`);
  return { facts, seconds, rows, rowsPerSecond: rows / seconds, sizeMb: await sizeMb(database.config) };
}
