import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../src/store/database.js';
import { readSql } from '../../src/store/reader.js';
import { createTestDatabase, DATABASES, openTestStore } from '../helpers/databases.js';

/**
 * The hot reads (`readSql`) leave Kysely's connection handling: on SQLite for the read
 * connection, on PostgreSQL for the pool's own `query`. Inside a transaction they must still
 * read on its connection, and outside one only what is committed.
 */
describe.each(DATABASES)('reads of SQL text (%s)', (kind) => {
  let store: Store;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ store, close } = await openTestStore(kind, { migrated: false }));
    await sql`create table probe (n integer not null)`.execute(store.db);
  });
  afterAll(() => close());

  const numbers = async (db: Store['db'], prepare: boolean) =>
    (await readSql<{ n: number }>(db, 'select n from probe order by n', [], { prepare })).map((r) => Number(r.n));

  it('reads in a transaction see its writes; reads outside it see only what it committed', async () => {
    expect(await numbers(store.db, true)).toEqual([]);
    await store.db.transaction().execute(async (tx) => {
      await sql`insert into probe (n) values (1)`.execute(tx);
      for (const prepare of [true, false]) {
        expect(await numbers(tx, prepare)).toEqual([1]);
        expect(await numbers(store.db, prepare)).toEqual([]);
      }
    });
    for (const prepare of [true, false]) expect(await numbers(store.db, prepare)).toEqual([1]);
  });

  it('a read the database refuses fails with its error, and the reads after it go on', async () => {
    async function theReadersCaller() {
      return await readSql(store.db, 'select n from no_such_table', [], { prepare: true });
    }
    const failed = theReadersCaller();
    await expect(failed).rejects.toThrow(/no_such_table/);
    // Its stack names who read, for the log, not only the driver's socket.
    await expect(failed).rejects.toSatisfy((error: Error) => String(error.stack).includes('theReadersCaller'));
    // Many reads at once, more than the pool holds connections, each on a prepared statement.
    const reads = await Promise.all(Array.from({ length: 24 }, () => numbers(store.db, true)));
    expect(reads).toEqual(Array(24).fill([1]));
  });
});

describe('rows of the SQLite read connection', () => {
  let store: Store;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ store, close } = await openTestStore('sqlite', { migrated: false }));
  });
  afterAll(() => close());

  it('carry every column under its own name, whatever the name, as plain objects', async () => {
    // The row objects are made by a function written from the column names (reader.ts).
    const text = `select 1 as n, 'a' as "quote""d", 'b' as "back\\slash", 'c' as "line
break", 'd' as "\u2028", 'e' as "__proto__", 'f' as "constructor", 'g' as "n"`;
    const [row] = await readSql<Record<string, unknown>>(store.db, text, []);
    expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
    expect(Object.entries(row!)).toEqual([
      // A name given twice keeps its last value, at its first place, as any object literal.
      ['n', 'g'],
      ['quote"d', 'a'],
      ['back\\slash', 'b'],
      ['line\nbreak', 'c'],
      ['\u2028', 'd'],
      ['__proto__', 'e'],
      ['constructor', 'f'],
    ]);
    expect(Object.hasOwn(row!, '__proto__')).toBe(true);
  });
});

describe('reads of SQL text on PostgreSQL', () => {
  let store: Store;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ store, close } = await openTestStore('postgres', { migrated: false }));
  });
  afterAll(() => close());

  const backend = async () => (await readSql<{ pid: number }>(store.db, 'select pg_backend_pid() as pid', [], { prepare: true }))[0]!.pid;

  it('keep the connection of a statement the database refused: it loses neither its session nor its prepared statements', async () => {
    // One read at a time takes the connection given back last.
    const before = await backend();
    await expect(readSql(store.db, 'select 1 / 0', [], { prepare: true })).rejects.toThrow(/division by zero/);
    await expect(readSql(store.db, "select 'x'::integer", [])).rejects.toThrow(/invalid input syntax/);
    expect(await backend()).toBe(before);
  });

  it('end the pool with the store, whether or not anything but them read through it', async () => {
    const other = await createTestDatabase('postgres');
    const alone = await openStore(other.config);
    try {
      expect(await readSql<{ x: number }>(alone.db, 'select 1 as x', [])).toEqual([{ x: 1 }]);
      await alone.close();
      await expect(readSql(alone.db, 'select 1 as x', [])).rejects.toThrow();
    } finally {
      await other.drop();
    }
  });
});
