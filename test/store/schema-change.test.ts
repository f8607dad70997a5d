import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Actor } from '../helpers/client.js';
import { DATABASES } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { mintToken, world } from '../helpers/world.js';

/**
 * A new version's migration, run by another instance on the same database while this one
 * serves, adds columns to `datasets`. The statements this instance prepared before must go on
 * answering the same decisions: a column that moved the access facts by one place would let an
 * outsider count as a member (see `datasetColumnsSql`).
 */
describe.each(DATABASES)('a column added to datasets by another instance (%s)', (db) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ db, usage: { flushEveryMs: 0 } });
  });
  afterAll(async () => {
    await server.close();
  });

  it('changes no decision, level or field of the statements prepared before it', async () => {
    const w = await world(server).org('other').member('eve').org('acme').member('ann').dataset('cams', { tier: 'organization' }).build();
    const ann = w.users.ann!;
    const eve = w.users.eve!;
    const url = `/api/v1/datasets/${w.datasets.cams}`;
    const eveScript = new Actor(server.app, { bearer: await mintToken(server, eve) });
    const decisions = async () => ({
      ann: (await ann.get(url)).body,
      annPage: (await ann.get('/api/v1/datasets?limit=10')).body.items.map((i: { id: string; myLevel: string }) => [i.id, i.myLevel]),
      eve: (await eve.get(url)).status,
      eveByToken: (await eveScript.get(url)).status,
      // A change checks the dataset in a statement of its own.
      eveEdit: (await eve.patch(url, { description: 'mine now' })).status,
    });

    const before = await decisions();
    expect(before).toMatchObject({ ann: { id: w.datasets.cams, myLevel: 'read' }, eve: 404, eveByToken: 404, eveEdit: 404 });
    expect(before.annPage).toEqual([[w.datasets.cams, 'read']]);

    const migration = [
      'alter table datasets add column archived integer not null default 0',
      "alter table datasets add column kind text not null default 'admin'",
    ];
    if (server.database.config.kind === 'sqlite') {
      const other = new SQLite(server.database.config.file);
      for (const statement of migration) other.exec(statement);
      other.close();
    } else {
      for (const statement of migration) await sql.raw(statement).execute(server.ctx.db);
    }

    expect(await decisions()).toEqual(before);
  });
});
