import SQLite from 'better-sqlite3';
import pg from 'pg';
import type { DatabaseConfig } from '../src/config.js';
import { sqliteNameSearchRebuild } from '../src/store/migrations/013-name-search.js';
import type { Row, TableName } from './world.js';

/**
 * The store's bulk path: the raw driver, multi-row inserts in transactions, secondary
 * indexes and triggers set aside while loading and rebuilt from their own DDL afterwards.
 */
export interface BulkLoader {
  columnsOf(table: TableName): Promise<string[]>;
  suspendIndexes(tables: readonly TableName[]): Promise<void>;
  insert(table: TableName, columns: string[], rows: Row[]): Promise<void>;
  restoreIndexes(onIndex: (name: string) => void): Promise<void>;
  close(): Promise<void>;
}

const ROWS_PER_STATEMENT = 250;

export function sqliteLoader(file: string): BulkLoader {
  const db = new SQLite(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  // The generator writes a consistent world; foreign keys are checked by the rebuilt schema's users.
  db.pragma('foreign_keys = OFF');
  db.pragma('cache_size = -262144');
  const suspended: { name: string; sql: string }[] = [];
  const statements = new Map<string, SQLite.Statement>();
  const statement = (table: string, columns: string[], rows: number) => {
    const key = `${table}/${columns.length}/${rows}`;
    let s = statements.get(key);
    if (!s) {
      const tuple = `(${columns.map(() => '?').join(',')})`;
      s = db.prepare(`insert into ${table} (${columns.join(',')}) values ${Array(rows).fill(tuple).join(',')}`);
      statements.set(key, s);
    }
    return s;
  };
  return {
    async columnsOf(table) {
      return (db.pragma(`table_info(${table})`) as { name: string }[]).map((c) => c.name);
    },
    async suspendIndexes(tables) {
      const list = tables.map((t) => `'${t}'`).join(',');
      const rows = db
        .prepare(
          `select type, name, sql from sqlite_master where type in ('index', 'trigger') and sql is not null and tbl_name in (${list})`,
        )
        .all() as { type: string; name: string; sql: string }[];
      for (const row of rows) {
        db.exec(`drop ${row.type} ${row.name}`);
        suspended.push(row);
      }
    },
    async insert(table, columns, rows) {
      db.transaction(() => {
        let i = 0;
        for (; i + ROWS_PER_STATEMENT <= rows.length; i += ROWS_PER_STATEMENT) {
          statement(table, columns, ROWS_PER_STATEMENT).run(rows.slice(i, i + ROWS_PER_STATEMENT).flat());
        }
        if (i < rows.length) statement(table, columns, rows.length - i).run(rows.slice(i).flat());
      })();
    },
    async restoreIndexes(onIndex) {
      for (const { name, sql } of suspended) {
        onIndex(name);
        db.exec(sql);
      }
      // The name search's trigram table follows the datasets through triggers, set aside while loading.
      if (db.prepare(`select 1 from sqlite_master where name = 'dataset_name_rows'`).get()) {
        onIndex('dataset_names');
        db.transaction(() => {
          for (const statement of sqliteNameSearchRebuild()) db.exec(statement);
        })();
      }
      db.pragma('wal_checkpoint(TRUNCATE)');
    },
    async close() {
      db.close();
    },
  };
}

export async function postgresLoader(url: string, schema: string): Promise<BulkLoader> {
  const client = new pg.Client({ connectionString: url, options: `-c search_path=${schema}` });
  await client.connect();
  // Superusers may skip trigger-based foreign key checks while loading; others simply pay for them.
  await client.query(`set session_replication_role = replica`).catch(() => undefined);
  const suspended: { name: string; sql: string }[] = [];
  const types = new Map<string, string>();
  let loaded: readonly TableName[] = [];
  return {
    async columnsOf(table) {
      const { rows } = await client.query<{ column_name: string; data_type: string }>(
        `select column_name, data_type from information_schema.columns where table_schema = $1 and table_name = $2`,
        [schema, table],
      );
      for (const r of rows) types.set(`${table}.${r.column_name}`, r.data_type);
      return rows.map((r) => r.column_name);
    },
    async suspendIndexes(tables) {
      loaded = tables;
      const { rows } = await client.query<{ indexname: string; indexdef: string }>(
        `select i.indexname, i.indexdef from pg_indexes i
          where i.schemaname = $1 and i.tablename = any($2)
            and not exists (select 1 from pg_constraint c join pg_namespace n on n.oid = c.connamespace where n.nspname = $1 and c.conname = i.indexname)`,
        [schema, tables],
      );
      for (const row of rows) {
        await client.query(`drop index ${row.indexname}`);
        suspended.push({ name: row.indexname, sql: row.indexdef });
      }
    },
    async insert(table, columns, rows) {
      const casts = columns.map((c, i) => `$${i + 1}::${types.get(`${table}.${c}`) ?? 'text'}[]`);
      const arrays = columns.map((_, i) => rows.map((r) => r[i] ?? null));
      await client.query(`insert into ${table} (${columns.join(',')}) select * from unnest(${casts.join(',')})`, arrays);
    },
    async restoreIndexes(onIndex) {
      for (const { name, sql } of suspended) {
        onIndex(name);
        await client.query(sql);
      }
      onIndex('vacuum analyze');
      await client.query(`vacuum analyze ${loaded.join(', ')}`);
    },
    async close() {
      await client.end();
    },
  };
}

export function loaderFor(config: DatabaseConfig): Promise<BulkLoader> {
  if (config.kind === 'sqlite') return Promise.resolve(sqliteLoader(config.file));
  return postgresLoader(config.url, config.schema ?? 'public');
}
