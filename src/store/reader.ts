import { createHash } from 'node:crypto';
import SQLite from 'better-sqlite3';
import { CompiledQuery, PostgresAdapter, SqliteAdapter, sql } from 'kysely';
import type pg from 'pg';
import type { Db } from './database.js';
import type { CallbackPool } from './postgres-pool.js';

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
  /** The first column of every row, as plain values (no array or object per row). */
  column<T>(text: string, parameters: unknown[]): T[];
  /**
   * Rows one at a time, each the array of its values in the order the statement names its
   * columns (no object per row: the inventory's merge of several statements steps through a
   * page of them).
   * Statements iterated side by side need a `slot` each (a prepared statement runs one query at
   * a time); while any is open the connection reads one snapshot.
   */
  iterateValues<T extends unknown[]>(text: string, parameters: unknown[], slot: number): IterableIterator<T>;
  /**
   * Runs `work`, which reads through this reader and nothing else, in one read transaction:
   * its statements see one snapshot and open it once. `work` is synchronous, so the
   * transaction never outlives it and the next read sees every commit since.
   */
  snapshot<T>(work: () => T): T;
  /**
   * SQLite's `data_version` of this connection: it changes whenever any other connection, of
   * this process or another, commits to the database, and it is read afresh each time.
   */
  version(): number;
}

const MAX_STATEMENTS = 500;
/**
 * Characters of SQL text the read connection keeps prepared at most, all its caches together:
 * a prepared statement takes memory as its text grows (an inventory page's UNION of 32 access
 * paths, about 8 000 characters, takes 160 KB), so the count alone does not bound them.
 */
const MAX_STATEMENT_CHARACTERS = 1_000_000;

/**
 * A statement that answers arrays, and its column names read once. better-sqlite3 builds each
 * row object by making a string of every column name anew: with the CPU caches stirred as a
 * server's are, the caller-and-check statement cost 67–77 µs that way and 47–53 µs as arrays
 * (docs/performance.md).
 */
interface Prepared {
  raw: SQLite.Statement;
  columns: string[];
  /** The row object of a row's values (`rowMaker`). */
  make: RowMaker;
}

type RowMaker = (values: unknown[]) => Record<string, unknown>;

/**
 * What makes the row objects of a statement whose columns are `columns`: one object literal,
 * written once per statement, so V8 builds every row in one allocation with one hidden class.
 * Assigned one by one, the columns went through a keyed store that every statement's rows share
 * (megamorphic) and grew each row's property store several times: 440 ns a row of twenty
 * columns against 13 when three statements' rows alternate, and 3 % of the heavy user's page
 * (docs/performance.md). Fastify's serializer is made the same way. The names
 * are SQLite's names of the statement's columns, written as JSON string literals; a name that an
 * object literal would not take as an own property (`__proto__`) is defined one by one instead.
 */
function rowMaker(columns: string[]): RowMaker {
  if (columns.includes('__proto__')) {
    return (values) => {
      const row: Record<string, unknown> = {};
      for (let i = 0; i < columns.length; i += 1) {
        Object.defineProperty(row, columns[i]!, { value: values[i], enumerable: true, writable: true, configurable: true });
      }
      return row;
    };
  }
  const fields = columns.map((name, i) => `${JSON.stringify(name)}: values[${i}]`).join(', ');
  return new Function('values', `return { ${fields} };`) as RowMaker;
}

/**
 * A row as an object. After a schema change (another instance's migration) SQLite prepares a
 * statement again by itself, and a `*` in it then answers other columns than the names read
 * once: a row of another width has its names read again, so no value is ever read under
 * another column's name. The statements here name their columns (`datasetColumnsSql`), so a new
 * column cannot move them.
 */
function rowOf<T>(statement: Prepared, values: unknown[]): T {
  if (values.length !== statement.columns.length) {
    statement.columns = statement.raw.columns().map((c) => c.name);
    statement.make = rowMaker(statement.columns);
  }
  return statement.make(values) as T;
}
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
  // Mapped pages are the operating system's file cache, shared and reclaimable, not heap.
  connection.pragma('mmap_size = 2147483648');
  // The read connection lives exactly as long as `db` (Store.close destroys it).
  const destroy = db.destroy.bind(db);
  db.destroy = async () => {
    connection.close();
    await destroy();
  };
  const dataVersion = connection.prepare('pragma data_version').pluck();
  // Made once: a lookup makes no closure.
  const prepareRows = (text: string): Prepared => {
    const raw = connection.prepare(text).raw(true);
    const columns = raw.columns().map((c) => c.name);
    return { raw, columns, make: rowMaker(columns) };
  };
  const prepareColumn = (text: string) => connection.prepare(text).pluck(true);
  // The statements by text: one cache per slot (a key made of the slot and the text would be a
  // new string to hash, as long as the text, for every statement of every inventory page), and
  // one of statements that answer a column. They share one bound: past it, all are emptied.
  const slots: Map<string, Prepared>[] = [new Map()];
  const columnStatements = new Map<string, SQLite.Statement>();
  let count = 0;
  let characters = 0;
  const cached = <S>(cache: Map<string, S>, text: string, prepare: (text: string) => S): S => {
    let statement = cache.get(text);
    if (statement === undefined) {
      if (count >= MAX_STATEMENTS || characters + text.length > MAX_STATEMENT_CHARACTERS) {
        for (const slot of slots) slot.clear();
        columnStatements.clear();
        count = 0;
        characters = 0;
      }
      statement = prepare(text);
      cache.set(text, statement);
      count += 1;
      characters += text.length;
    }
    return statement;
  };
  const prepared = (text: string, slot = 0) => {
    let cache = slots[slot];
    if (cache === undefined) {
      cache = new Map();
      slots[slot] = cache;
    }
    return cached(cache, text, prepareRows);
  };
  return {
    get: <T>(text: string, parameters: unknown[] | Record<string, unknown>) => {
      const statement = prepared(text);
      const values = statement.raw.get(parameters) as unknown[] | undefined;
      return values === undefined ? undefined : rowOf<T>(statement, values);
    },
    all: <T>(text: string, parameters: unknown[] | Record<string, unknown>) => {
      const statement = prepared(text);
      return (statement.raw.all(parameters) as unknown[][]).map((values) => rowOf<T>(statement, values));
    },
    column: <T>(text: string, parameters: unknown[]) => cached(columnStatements, text, prepareColumn).all(parameters) as T[],
    iterateValues: <T extends unknown[]>(text: string, parameters: unknown[], slot: number) =>
      prepared(text, slot).raw.iterate(parameters) as IterableIterator<T>,
    snapshot: <T>(work: () => T) => connection.transaction(work).deferred() as T,
    version: () => dataVersion.get() as number,
  };
}

/** The read connection for `db` once `readerOf` has opened it (null where there is none), else undefined. */
export function openedReader(db: Db): Reader | null | undefined {
  return db.isTransaction ? null : opened.get(db);
}

/**
 * The read connection for `db`, or null on PostgreSQL, in a transaction, or for an in-memory
 * database. Should it fail to open, the reads simply go through `db`: same answers, slower.
 */
export async function readerOf(db: Db): Promise<Reader | null> {
  const ready = openedReader(db);
  if (ready !== undefined) return ready;
  let reader = opening.get(db);
  if (!reader) {
    reader = openReader(db).catch(() => null);
    opening.set(db, reader);
  }
  const value = await reader;
  opened.set(db, value);
  return value;
}

export type SqlDialect = 'sqlite' | 'postgres';

export function dialectOf(db: Db): SqlDialect {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
}

/** Positional parameters as each dialect writes them: `?` on SQLite, `$1`, `$2`… on PostgreSQL. */
export class Parameters {
  readonly values: unknown[] = [];
  constructor(readonly dialect: SqlDialect) {}

  add(value: unknown): string {
    this.values.push(value);
    return this.dialect === 'postgres' ? `$${this.values.length}` : '?';
  }
}

/**
 * A LIMIT written into the statement's text. SQLite plans with the value bound to a LIMIT
 * parameter and so prepares a statement with `limit ?` again at every execution (each binding
 * expires it), which costs more than running a short one: a literal keeps it prepared once per
 * page size. Only ever a count the caller computed, never text from a request.
 */
export function limitSql(rows: number): string {
  if (!Number.isSafeInteger(rows) || rows < 0) throw new RangeError(`Not a row count: ${rows}`);
  return String(rows);
}

const statementNames = new Map<string, string>();

/**
 * The name of a statement for node-postgres, which prepares a named one once per connection: PostgreSQL then
 * plans it once instead of on every call, and planning the check costs several times more than
 * running it. `pg.Client#query` takes a `{name, text}` config, and Kysely hands its `sql` to it
 * untouched. The name follows the text, so a changed text is a new statement.
 */
function statementName(text: string): string {
  let name = statementNames.get(text);
  if (!name) {
    if (statementNames.size >= MAX_STATEMENTS) statementNames.clear();
    name = `tessera_${createHash('sha1').update(text).digest('hex').slice(0, 16)}`;
    statementNames.set(text, name);
  }
  return name;
}

/** The pool behind each PostgreSQL `Db` that `openStore` opened; never a transaction's. */
const pools = new WeakMap<Db, CallbackPool>();

/**
 * Lets `readSql` read through `pool` for `db`, and ends the pool with `db`: Kysely ends it only
 * when it ran a query itself, and a process may have read through `readSql` alone.
 */
export function registerPool(db: Db, pool: CallbackPool): void {
  pools.set(db, pool);
  const destroy = db.destroy.bind(db);
  db.destroy = async () => {
    pools.delete(db);
    await destroy();
    if (!pool.ending) await pool.end();
  };
}

/** One read on a connection of the pool (answered by callback: postgres-pool.ts), without Kysely around it. */
async function poolRead<R>(pool: CallbackPool, config: pg.QueryConfig): Promise<R[]> {
  const client = await pool.connect();
  try {
    return (await client.query(config)).rows as R[];
  } catch (error) {
    // The driver's error carries the stack of the socket that read the answer; the log needs the
    // read's callers, which the stack taken here holds (V8 follows the awaits).
    if (error instanceof Error) Error.captureStackTrace(error);
    throw error;
  } finally {
    client.release();
  }
}

/**
 * Runs SQL text: prepared once on the SQLite read connection; on PostgreSQL prepared once per
 * connection when `prepare` is set (only for texts of which there are few), else planned each
 * time, through the pool (`poolRead`) or, in a transaction, on its connection (through Kysely).
 */
export async function readSql<R>(db: Db, text: string, values: unknown[], { prepare = false } = {}): Promise<R[]> {
  const reader = await readerOf(db);
  if (reader) return reader.all<R>(text, values);
  const pool = pools.get(db);
  if (pool) return poolRead<R>(pool, prepare ? { name: statementName(text), text, values } : { text, values });
  const query = CompiledQuery.raw(text, values);
  const sql = prepare && dialectOf(db) === 'postgres' ? ({ name: statementName(text), text } as unknown as string) : query.sql;
  return (await db.executeQuery({ ...query, sql })).rows as R[];
}
