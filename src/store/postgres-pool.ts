import type { PostgresCursor, PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';
import type pg from 'pg';

/**
 * A pooled connection whose statements are answered by callback. Answered by a promise (the
 * form Kysely calls), node-postgres kept every statement's rows alive past the next young
 * collection, which then copied megabytes of them: 3–5 ms pauses that stalled every request
 * under way (docs/performance.md, eleventh round).
 */
class CallbackClient implements PostgresPoolClient {
  constructor(private readonly client: pg.PoolClient) {}

  query<R>(sql: string | pg.QueryConfig, parameters?: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>>;
  query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>;
  query<R>(
    statement: string | pg.QueryConfig | PostgresCursor<R>,
    parameters?: ReadonlyArray<unknown>,
  ): Promise<PostgresQueryResult<R>> | PostgresCursor<R> {
    // A cursor (Kysely's streaming, which nothing here uses) is submitted as it is, as pg tells one.
    if (typeof statement === 'object' && 'submit' in statement) return this.client.query(statement as never) as PostgresCursor<R>;
    // Kysely passes a named statement's `{name, text}` where it would pass text (reader.ts).
    const sql = statement as string | pg.QueryConfig;
    const base: pg.QueryConfig = typeof sql === 'string' ? { text: sql } : sql;
    const config: pg.QueryConfig = parameters === undefined ? base : { ...base, values: parameters as unknown[] };
    return new Promise((resolve, reject) => {
      this.client.query(config, (error: Error | null, result: pg.QueryResult) => {
        if (error) reject(error);
        else resolve(result as unknown as PostgresQueryResult<R>);
      });
    });
  }

  release(): void {
    this.client.release();
  }
}

/** The pool as Kysely and `readSql` use it, and whether it is ending. */
export interface CallbackPool extends PostgresPool {
  connect(): Promise<CallbackClient>;
  readonly ending: boolean;
}

/**
 * node-postgres's pool, each statement answered by callback (CallbackClient). A connection goes
 * back to the pool whatever the answer, as Kysely gives it back: a refused statement leaves it
 * usable, and the pool drops one that can no longer be queried by itself. One wrapper per
 * connection, so Kysely, which keeps its state per connection object, sees the same one each time.
 */
export function callbackPool(pool: pg.Pool): CallbackPool {
  const wrappers = new WeakMap<pg.PoolClient, CallbackClient>();
  return {
    connect: async () => {
      const client = await pool.connect();
      let wrapper = wrappers.get(client);
      if (wrapper === undefined) {
        wrapper = new CallbackClient(client);
        wrappers.set(client, wrapper);
      }
      return wrapper;
    },
    end: () => pool.end(),
    get ending() {
      return pool.ending;
    },
  };
}
