import SQLite from 'better-sqlite3';
import { SqliteAdapter, sql } from 'kysely';
import type { Db } from '../store/database.js';

/**
 * On SQLite the hot reads (the check, the inventory) go through a connection of their own
 * with statements prepared once: Kysely's SQLite driver prepares every statement anew, which
 * costs more than the lookup itself. The connection only ever sees committed data, as any other
 * instance would, and holds no read transaction between statements, so a revocation is in
 * force for the very next check. Inside a transaction the transaction's own connection is used,
 * so a use case sees its own writes.
 */
export interface Reader {
  get<T>(text: string, parameters: unknown[] | Record<string, unknown>): T | undefined;
  all<T>(text: string, parameters: unknown[] | Record<string, unknown>): T[];
}

const MAX_STATEMENTS = 500;
const opening = new WeakMap<Db, Promise<Reader | null>>();
const opened = new WeakMap<Db, Reader | null>();

async function openReader(db: Db): Promise<Reader | null> {
  if (!(db.getExecutor().adapter instanceof SqliteAdapter)) return null;
  const { rows } = await sql<{ name: string; file: string }>`pragma database_list`.execute(db);
  const file = rows.find((r) => r.name === 'main')?.file;
  // An in-memory database cannot be opened twice.
  if (!file) return null;
  const connection = new SQLite(file, { fileMustExist: true });
  connection.pragma('query_only = ON');
  connection.pragma('busy_timeout = 5000');
  connection.pragma('cache_size = -65536');
  const statements = new Map<string, SQLite.Statement>();
  const prepared = (text: string) => {
    let statement = statements.get(text);
    if (!statement) {
      if (statements.size >= MAX_STATEMENTS) statements.clear();
      statement = connection.prepare(text);
      statements.set(text, statement);
    }
    return statement;
  };
  return {
    get: <T>(text: string, parameters: unknown[] | Record<string, unknown>) => prepared(text).get(parameters) as T | undefined,
    all: <T>(text: string, parameters: unknown[] | Record<string, unknown>) => prepared(text).all(parameters) as T[],
  };
}

/** The read connection for `db`, or null on PostgreSQL, in a transaction, or for an in-memory database. */
export async function readerOf(db: Db): Promise<Reader | null> {
  const ready = opened.get(db);
  if (ready !== undefined) return ready;
  if (db.isTransaction) return null;
  let reader = opening.get(db);
  if (!reader) {
    reader = openReader(db).catch(() => null);
    opening.set(db, reader);
  }
  const value = await reader;
  opened.set(db, value);
  return value;
}
