import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { DatabaseConfig } from '../../src/config.js';
import { migrate, openStore, type Store } from '../../src/store/database.js';

export type DatabaseKind = 'sqlite' | 'postgres';

/** Every store test runs on both. PostgreSQL is required: a run that cannot reach it fails. */
export const DATABASES: DatabaseKind[] = ['sqlite', 'postgres'];

export const POSTGRES_URL = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDatabase {
  config: DatabaseConfig;
  drop(): Promise<void>;
}

/** A fresh, empty database of its own: a temporary SQLite file, or a new PostgreSQL schema. */
export async function createTestDatabase(kind: DatabaseKind): Promise<TestDatabase> {
  if (kind === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-test-'));
    return {
      config: { kind: 'sqlite', file: path.join(dir, 'tessera.db') },
      drop: async () => fs.rmSync(dir, { recursive: true, force: true }),
    };
  }
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  await client.query(`create schema ${schema}`);
  await client.end();
  return {
    config: { kind: 'postgres', url: POSTGRES_URL, schema },
    drop: async () => {
      const c = new pg.Client({ connectionString: POSTGRES_URL });
      await c.connect();
      await c.query(`drop schema if exists ${schema} cascade`);
      await c.end();
    },
  };
}

export interface TestStore {
  store: Store;
  database: TestDatabase;
  /** Closes the store and drops its database. */
  close(): Promise<void>;
}

/** A store on a fresh database of its own (`createTestDatabase`), migrated unless told otherwise. */
export async function openTestStore(kind: DatabaseKind, { migrated = true } = {}): Promise<TestStore> {
  const database = await createTestDatabase(kind);
  const store = await openStore(database.config);
  const close = async () => {
    await store.close();
    await database.drop();
  };
  if (migrated)
    await migrate(store).catch(async (error: unknown) => {
      await close();
      throw error;
    });
  return { store, database, close };
}
