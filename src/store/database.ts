import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import SQLite from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type DatabaseMetadata,
  type Driver,
  Kysely,
  Migrator,
  PostgresDialect,
  type SchemaMetadata,
  SqliteDialect,
  type SqliteDialectConfig,
  SqliteDriver,
  sql,
  type TableMetadata,
  type Transaction,
} from 'kysely';
import pg from 'pg';
import type { DatabaseConfig } from '../config.js';
import { type Dialect, migrationProvider } from './migrations/index.js';
import { callbackPool } from './postgres-pool.js';
import { registerPool } from './reader.js';
import type { Database } from './schema.js';

export type Db = Kysely<Database>;
export type Tx = Transaction<Database>;
/** Either the database or an open transaction: store functions accept both. */
export type Executor = Kysely<Database>;

export interface Store {
  db: Db;
  dialect: Dialect;
  /** The PostgreSQL schema Tessera lives in, when not the default search path. */
  schema?: string | undefined;
  /**
   * PostgreSQL only: calls `onNotify` on every NOTIFY on `channel`, over a connection of its own
   * that reconnects when dropped. Resolves to a function that stops listening.
   */
  listen?(channel: string, onNotify: () => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

// bigint (times, counts) and numeric come back as numbers: every value we keep fits in 2^53.
pg.types.setTypeParser(20, (value) => Number(value));
pg.types.setTypeParser(1700, (value) => Number(value));

/** How long a write waits for another process's write lock on SQLite. */
const BUSY_TIMEOUT_MS = 5_000;

function openSqlite(file: string): Db {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const database = new SQLite(file);
  database.pragma('journal_mode = WAL');
  database.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  database.pragma('foreign_keys = ON');
  database.pragma('synchronous = NORMAL');
  return new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database }) });
}

/**
 * Transactions take SQLite's write lock as they begin (BEGIN IMMEDIATE), so one that reads first
 * and writes later waits for the lock when another process holds it, instead of failing at once
 * with SQLITE_BUSY because that process wrote after its read began. Within one process Kysely
 * runs one transaction at a time anyway. The wait is asynchronous: SQLite's own busy wait
 * sleeps in the thread, which would hold up every request of this process (WORKERS) for as
 * long as another process's transaction lasts.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('pragma busy_timeout = 0'));
    try {
      const deadline = Date.now() + BUSY_TIMEOUT_MS;
      for (let delay = 1; ; delay = Math.min(delay * 2, 16)) {
        try {
          await connection.executeQuery(CompiledQuery.raw('begin immediate'));
          return;
        } catch (error) {
          if ((error as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() > deadline) throw error;
        }
        await sleep(delay);
      }
    } finally {
      await connection.executeQuery(CompiledQuery.raw(`pragma busy_timeout = ${BUSY_TIMEOUT_MS}`));
    }
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;
  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }
  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }
}

function openPostgres(url: string, schema: string | undefined): Db {
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    // TCP keepalive: a connection whose peer is gone (a failover, a dropped NAT entry) ends in an
    // error instead of waiting for ever.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  // A dropped connection must not take the process down: the query under way fails (503 to its
  // client) and the next one reconnects. pg-pool only listens on idle clients, so listen on all.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  const reading = callbackPool(pool);
  const db = new Kysely<Database>({
    dialect: schema ? new SchemaPostgresDialect({ pool: reading }, schema) : new PostgresDialect({ pool: reading }),
  });
  registerPool(db, reading);
  return db;
}

/**
 * PostgreSQL for Tessera in a schema of its own, with an introspector that reads that schema
 * only. Kysely's migrator asks the introspector whether its bookkeeping tables exist, and the
 * stock one lists the tables of every schema, resolving each schema by its name as it goes: a
 * schema dropped meanwhile on the same database (another deployment's, a test's) then failed the
 * migration with "schema … does not exist".
 */
class SchemaPostgresDialect extends PostgresDialect {
  readonly #schema: string;
  constructor(config: ConstructorParameters<typeof PostgresDialect>[0], schema: string) {
    super(config);
    this.#schema = schema;
  }
  override createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    const schema = this.#schema;
    const getTables = async (): Promise<TableMetadata[]> => {
      const { rows } = await sql<{ name: string; view: boolean }>`select c.relname as name, c.relkind = 'v' as view
        from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
        where n.nspname = ${schema} and c.relkind in ('r', 'p', 'v')`.execute(db);
      return rows.map((r) => ({ name: r.name, schema, isView: r.view, columns: [] }));
    };
    return {
      async getSchemas(): Promise<SchemaMetadata[]> {
        const { rows } = await sql<{ name: string }>`select nspname as name from pg_catalog.pg_namespace where nspname = ${schema}`.execute(
          db,
        );
        return rows;
      },
      getTables,
      async getMetadata(): Promise<DatabaseMetadata> {
        return { tables: await getTables() };
      },
    };
  }
}

function postgresListener(url: string) {
  return async (channel: string, onNotify: () => void) => {
    let client: pg.Client | null = null;
    let stopped = false;
    const connect = async (): Promise<void> => {
      if (stopped) return;
      const next = new pg.Client({ connectionString: url });
      next.on('notification', (n) => {
        if (n.channel === channel) onNotify();
      });
      next.on('error', () => {
        client = null;
        next.end().catch(() => {});
        // Missed notifications are covered by the listener's slow poll; reconnect shortly.
        setTimeout(() => void connect().catch(() => {}), 1_000).unref();
      });
      try {
        await next.connect();
        await next.query(`listen ${channel}`);
        client = next;
        if (stopped) await next.end();
      } catch {
        next.end().catch(() => {});
        setTimeout(() => void connect().catch(() => {}), 1_000).unref();
      }
    };
    await connect();
    return async () => {
      stopped = true;
      await client?.end().catch(() => {});
    };
  };
}

export async function openStore(config: DatabaseConfig): Promise<Store> {
  if (config.kind === 'sqlite') {
    const db = openSqlite(config.file);
    return { db, dialect: 'sqlite', close: () => db.destroy() };
  }
  const db = openPostgres(config.url, config.schema);
  return { db, dialect: 'postgres', schema: config.schema, listen: postgresListener(config.url), close: () => db.destroy() };
}

export async function migrate(store: Store): Promise<void> {
  const migrator = new Migrator({
    db: store.db,
    provider: migrationProvider(store.dialect),
    // Kysely looks for its bookkeeping tables by name across schemas; name ours exactly.
    ...(store.schema ? { migrationTableSchema: store.schema } : {}),
  });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new Error(`Database migration failed${failed ? ` at ${failed.migrationName}` : ''}: ${String(error)}`);
  }
}
