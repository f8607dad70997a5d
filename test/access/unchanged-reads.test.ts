import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOUR } from '../../src/clock.js';
import { unchangedReads } from '../../src/store/unchanged.js';
import { Actor } from '../helpers/client.js';
import { DATABASES } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { mintToken, world } from '../helpers/world.js';

/** Reads answered from memory so far in this file. */
const remembered = async () => (await unchangedReads.get()).values[0]?.value ?? 0;

/** The same actor, talking to the other instance with the same credentials. */
function via(server: TestServer, actor: Actor): Actor {
  return new Actor(server.app, actor.auth, actor.user);
}

/**
 * A caller and their check are remembered while the database is unchanged (store/unchanged.ts),
 * on SQLite only. These tests read the same thing again and again, so a remembered answer that
 * outlives a change would show as a wrong status; on SQLite each also proves it was remembered.
 */
describe.each(DATABASES)('reads remembered while the database is unchanged (%s)', (db) => {
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    // Grant usage is written only when a test says so: its flush is a commit of its own.
    a = await startTestServer({ db, usage: { flushEveryMs: 0 } });
    // One outbox, delivered by either instance: both hand mail to the same mailbox.
    b = await startTestServer({ db, database: a.database, clock: a.clock, mailer: a.mailer!, usage: { flushEveryMs: 0 } });
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });

  /** Remembered reads since `before`: some on SQLite, none on PostgreSQL. */
  const expectRemembered = async (before: number) => {
    if (db === 'sqlite') expect(await remembered()).toBeGreaterThan(before);
    else expect(await remembered()).toBe(before);
  };

  it('a change committed by another instance holds at the next request, a grant as a revoke', async () => {
    const w = await world(a).org('acme').member('ann').dataset('cams').grant('cams', 'ann', 'write').build();
    const annOnA = w.users.ann!;
    const adminOnB = via(b, w.orgs.acme!.admin);
    const url = `/api/v1/datasets/${w.datasets.cams}`;

    let before = await remembered();
    for (let i = 0; i < 3; i += 1) expect((await annOnA.get(url)).body.myLevel).toBe('write');
    await expectRemembered(before);
    expect((await adminOnB.delete(`${url}/sharing/users/${annOnA.id}`)).status).toBe(204);
    expect((await annOnA.get(url)).status).toBe(404);

    // A refusal read again and again is forgotten just as soon.
    before = await remembered();
    for (let i = 0; i < 3; i += 1) expect((await annOnA.get(url)).status).toBe(404);
    await expectRemembered(before);
    expect((await adminOnB.put(`${url}/sharing/users/${annOnA.id}`, { level: 'read' })).status).toBe(200);
    expect((await annOnA.get(url)).body.myLevel).toBe('read');
  });

  it('a change written to the database from outside any server holds at the next request', async () => {
    const w = await world(a).org('acme').member('ann').dataset('cams').grant('cams', 'ann', 'annotate').build();
    const ann = w.users.ann!;
    const url = `/api/v1/datasets/${w.datasets.cams}`;
    const token = await mintToken(a, ann, { scope: 'write' });
    const script = new Actor(a.app, { bearer: token });

    const before = await remembered();
    for (let i = 0; i < 3; i += 1) expect((await script.get(url)).body.myLevel).toBe('annotate');
    await expectRemembered(before);
    const revoke = `delete from user_grants where dataset_id = '${w.datasets.cams}' and user_id = '${ann.id}'`;
    if (a.database.config.kind === 'sqlite') {
      // Its own connection, as the command line or an operator's sqlite3 shell would have.
      const outside = new SQLite(a.database.config.file);
      outside.exec(revoke);
      outside.close();
    } else {
      await sql.raw(revoke).execute(a.ctx.db);
    }
    expect((await script.get(url)).status).toBe(404);

    // Deleting the token from outside ends it just as soon.
    for (let i = 0; i < 3; i += 1) expect((await script.get('/api/v1/me')).status).toBe(200);
    await sql.raw(`delete from access_tokens where user_id = '${ann.id}'`).execute(b.ctx.db);
    expect((await script.get('/api/v1/me')).status).toBe(401);
  });

  it('a grant that leaves force ends what was remembered at that very instant, with no commit to announce it', async () => {
    const w = await world(a).org('acme').member('ann').team('labelers', ['ann']).dataset('cams').build();
    const admin = w.orgs.acme!.admin;
    const ann = w.users.ann!;
    const url = `/api/v1/datasets/${w.datasets.cams}`;
    const now = a.clock.now();
    const at = (ms: number) => new Date(now + ms).toISOString();
    expect((await admin.put(`${url}/sharing/users/${ann.id}`, { level: 'write', expiresAt: at(HOUR) })).status).toBe(200);
    expect((await admin.put(`${url}/sharing/teams/${w.teams.labelers}`, { level: 'annotate', expiresAt: at(2 * HOUR) })).status).toBe(200);

    const before = await remembered();
    for (let i = 0; i < 3; i += 1) expect((await ann.get(url)).body.myLevel).toBe('write');
    await expectRemembered(before);
    a.clock.set(now + HOUR - 1);
    expect((await ann.get(url)).body.myLevel).toBe('write');
    a.clock.set(now + HOUR);
    expect((await ann.get(url)).body.myLevel).toBe('annotate');
    expect((await ann.get(url)).body.myLevel).toBe('annotate');
    a.clock.set(now + 2 * HOUR);
    expect((await ann.get(url)).status).toBe(404);
    // Time that runs back is not answered from what was read later.
    a.clock.set(now);
    expect((await ann.get(url)).body.myLevel).toBe('write');
  });

  it('a remembered caller ends when the session or the token expires', async () => {
    // Past every grant expiry of the tests above, so only the credential's own expiry ends a read.
    const start = a.clock.now();
    const now = start + 3 * HOUR;
    a.clock.set(now);
    const w = await world(a).org('acme').member('ann').build();
    const ann = w.users.ann!;
    const token = await mintToken(a, ann, { expiresAt: new Date(now + HOUR).toISOString() });
    const script = new Actor(a.app, { bearer: token });

    const before = await remembered();
    for (let i = 0; i < 3; i += 1) {
      expect((await script.get('/api/v1/me')).status).toBe(200);
      expect((await ann.get('/api/v1/me')).status).toBe(200);
    }
    await expectRemembered(before);
    a.clock.set(now + HOUR);
    expect((await script.get('/api/v1/me')).status).toBe(401);
    expect((await ann.get('/api/v1/me')).status).toBe(200);
    a.clock.set(now + 30 * 24 * HOUR);
    expect((await ann.get('/api/v1/me')).status).toBe(401);
    a.clock.set(start);
  });
});
