import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { DATABASES, openTestStore, POSTGRES_URL } from '../helpers/databases.js';

/**
 * Several deployments (or test runs) may share one PostgreSQL database, each in a schema of its
 * own. Migrating one must neither look into the others nor trip over one dropped meanwhile.
 */
describe.each(DATABASES)('migrating beside other schemas (%s)', (db) => {
  it('sees only its own tables, and migrates while other schemas come and go', async () => {
    const others = db === 'postgres' ? churn() : null;
    try {
      for (let round = 0; round < 4; round += 1) {
        const { store, close } = await openTestStore(db);
        try {
          const names = (await store.db.introspection.getTables()).map((t) => t.name);
          expect(names).toContain('datasets');
          expect(names.filter((n) => n.startsWith('zz_'))).toEqual([]);
          if (store.schema) {
            expect(new Set((await store.db.introspection.getTables()).map((t) => t.schema))).toEqual(new Set([store.schema]));
          }
        } finally {
          await close();
        }
      }
    } finally {
      await others?.stop();
    }
  });
});

/** Other schemas, each with a table of a serial column, created and dropped over and over. */
function churn() {
  let running = true;
  const loop = (async () => {
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    try {
      while (running) {
        const schema = `zz_${randomBytes(6).toString('hex')}`;
        await client.query(`create schema ${schema}; create table ${schema}.zz_rows (id serial primary key)`);
        await client.query(`drop schema ${schema} cascade`);
      }
    } finally {
      await client.end();
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
    },
  };
}
