import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccessFacts } from '../../src/access/rule.js';
import { UsageRecorder } from '../../src/access/usage.js';
import { migrate, openStore } from '../../src/store/database.js';
import type { Actor } from '../helpers/client.js';
import { createTestDatabase, DATABASES } from '../helpers/databases.js';
import { memoryLogger, startTestServer, type TestServer } from '../helpers/server.js';
import { mintToken, world } from '../helpers/world.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe.each(DATABASES)('grant usage, written off the request path (%s)', (db) => {
  let server: TestServer;
  beforeAll(async () => {
    // No timer: the test decides when pending uses are written.
    server = await startTestServer({ db, usage: { flushEveryMs: 0 } });
  });
  afterAll(async () => {
    await server.close();
  });

  const lastUse = async (datasetId: string, userId: string) =>
    (
      await server.ctx.db
        .selectFrom('user_grants')
        .select('last_used_at')
        .where('dataset_id', '=', datasetId)
        .where('user_id', '=', userId)
        .executeTakeFirstOrThrow()
    ).last_used_at;
  const teamLastUse = async (datasetId: string, teamId: string) =>
    (
      await server.ctx.db
        .selectFrom('team_grants')
        .select('last_used_at')
        .where('dataset_id', '=', datasetId)
        .where('team_id', '=', teamId)
        .executeTakeFirstOrThrow()
    ).last_used_at;

  it('a read notes the use in memory; a flush writes it, direct and team grants in one batch', async () => {
    const w = await world(server)
      .org('acme')
      .member('ann')
      .member('bob')
      .team('labelers', ['bob'])
      .dataset('cams')
      .grant('cams', 'ann', 'read')
      .teamGrant('cams', 'labelers', 'read')
      .build();
    const cams = w.datasets.cams!;
    const ann = w.users.ann!;
    await server.ctx.usage.flush();

    const readAt = server.clock.now();
    expect((await ann.get(`/api/v1/datasets/${cams}`)).status).toBe(200);
    expect((await w.users.bob!.get(`/api/v1/datasets/${cams}/items`)).status).toBe(200);
    // The requests answered without writing.
    expect(await lastUse(cams, ann.user.id)).toBeNull();
    expect(await teamLastUse(cams, w.teams.labelers!)).toBeNull();
    expect(server.ctx.usage.pendingCount).toBe(2);

    await server.ctx.usage.flush();
    expect(server.ctx.usage.pendingCount).toBe(0);
    expect(Number(await lastUse(cams, ann.user.id))).toBe(readAt);
    expect(Number(await teamLastUse(cams, w.teams.labelers!))).toBe(readAt);

    // Within the hour a read notes nothing; after it, the use moves forward.
    server.clock.advance(HOUR / 2);
    await ann.get(`/api/v1/datasets/${cams}`);
    await server.ctx.usage.flush();
    expect(Number(await lastUse(cams, ann.user.id))).toBe(readAt);
    server.clock.advance(HOUR);
    await ann.get(`/api/v1/datasets/${cams}`);
    await server.ctx.usage.flush();
    expect(Number(await lastUse(cams, ann.user.id))).toBe(server.clock.now());
  });

  it('a flush of many uses lets requests be answered between its batches', async () => {
    const w = await world(server).org('acme').member('ann').dataset('cams').grant('cams', 'ann', 'read').build();
    const cams = w.datasets.cams!;
    const ann = w.users.ann!;
    await server.ctx.usage.flush();
    expect((await ann.get(`/api/v1/datasets/${cams}`)).status).toBe(200);
    // Thousands of other uses noted before the flush (their grants need not exist: nothing to move).
    const facts: AccessFacts = { orgRole: null, visibility: 'admins', directRank: 1, teamRank: null };
    for (let i = 0; i < 5_000; i += 1) server.ctx.usage.record(`usr_other${i}`, cams, facts, server.clock.now());

    const answered: string[] = [];
    const flushed = server.ctx.usage.flush().then(() => answered.push('flush'));
    const read = ann.get(`/api/v1/datasets/${cams}`).then((response) => answered.push(`read ${response.status}`));
    await Promise.all([flushed, read]);
    // On SQLite a statement holds the process while it runs: written in one go, the flush kept
    // the read waiting until its end. (On PostgreSQL each statement waits for the network: the
    // read got through between them before, too, so there the order proves nothing.)
    if (db === 'sqlite') expect(answered).toEqual(['read 200', 'flush']);
    else expect(answered.sort()).toEqual(['flush', 'read 200']);
    expect(Number(await lastUse(cams, ann.user.id))).toBe(server.clock.now());
  });

  it('a sharing change, authorized inside its transaction, counts as a use of the changer’s grant', async () => {
    const w = await world(server).org('changes').member('dana').member('eve').dataset('logs').grant('logs', 'dana', 'admin').build();
    const logs = w.datasets.logs!;
    const dana = w.users.dana!;
    await server.ctx.usage.flush();
    server.clock.advance(2 * HOUR);

    const changedAt = server.clock.now();
    const answer = await dana.put(`/api/v1/datasets/${logs}/sharing/users/${w.users.eve!.user.id}`, { level: 'read' });
    expect(answer.status).toBe(200);
    await server.ctx.usage.flush();
    expect(Number(await lastUse(logs, dana.user.id))).toBe(changedAt);
  });

  it('an access token used by a request is marked used at the flush, to the minute, not by the request', async () => {
    const w = await world(server).org('tokens').build();
    const admin = w.orgs.tokens!.admin;
    const token = await mintToken(server, admin);
    await server.ctx.usage.flush();
    const lastUsed = async () =>
      (
        await server.ctx.db
          .selectFrom('access_tokens')
          .select('last_used_at')
          .where('user_id', '=', admin.user.id)
          .executeTakeFirstOrThrow()
      ).last_used_at;
    expect(await lastUsed()).toBeNull();
    const me = await server.app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } });
    expect(me.statusCode).toBe(200);
    expect(await lastUsed()).toBeNull();
    await server.ctx.usage.flush();
    const first = server.clock.now();
    expect(Number(await lastUsed())).toBe(first);

    // Within the minute the token is not written again, even when its caller was remembered
    // with the last use it had before (store/unchanged.ts); a minute on, it is.
    const use = () => server.app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } });
    server.clock.set(first + 30_000);
    expect((await use()).statusCode).toBe(200);
    await server.ctx.usage.flush();
    expect(Number(await lastUsed())).toBe(first);
    server.clock.set(first + 61_000);
    expect((await use()).statusCode).toBe(200);
    await server.ctx.usage.flush();
    expect(Number(await lastUsed())).toBe(first + 61_000);
  });

  it('the access review shows the last use of a read once written, 90 days on', async () => {
    const w = await world(server).org('review').member('cat').dataset('maps').grant('maps', 'cat', 'read').build();
    const orgId = w.orgs.review!.id;
    const expiresAt = new Date(server.clock.now() + 366 * DAY).toISOString();
    const bearer = async (actor: Actor) => ({ authorization: `Bearer ${await mintToken(server, actor, { expiresAt })}` });
    const admin = await bearer(w.orgs.review!.admin);
    const cat = await bearer(w.users.cat!);
    const call = (headers: Record<string, string>, url: string) => server.app.inject({ method: 'GET', url, headers });

    server.clock.advance(91 * DAY);
    const unusedIds = async () =>
      (
        (await call(admin, `/api/v1/orgs/${orgId}/access-review`)).json().items as {
          subject: { user?: { id: string } };
          reasons: string[];
        }[]
      )
        .filter((i) => i.reasons.includes('unused'))
        .map((i) => i.subject.user?.id);
    expect(await unusedIds()).toContain(w.users.cat!.id);
    expect((await call(cat, `/api/v1/datasets/${w.datasets.maps}`)).statusCode).toBe(200);
    // The review writes this instance's pending uses first, so it never shows a read as missing.
    expect(await unusedIds()).not.toContain(w.users.cat!.id);
    expect(server.ctx.usage.pendingCount).toBe(0);
  });
});

describe.each(DATABASES)('grant usage on shutdown (%s)', (db) => {
  it('stopping the instance writes the uses still pending', async () => {
    const server = await startTestServer({ db, usage: { flushEveryMs: 0 } });
    try {
      const w = await world(server).org('acme').member('ann').dataset('cams').grant('cams', 'ann', 'read').build();
      await server.ctx.usage.flush();
      expect((await w.users.ann!.get(`/api/v1/datasets/${w.datasets.cams}`)).status).toBe(200);
      expect(server.ctx.usage.pendingCount).toBe(1);
      await server.stop(200);
      const store = await openStore(server.database.config);
      try {
        const row = await store.db
          .selectFrom('user_grants')
          .select('last_used_at')
          .where('dataset_id', '=', w.datasets.cams!)
          .where('user_id', '=', w.users.ann!.user.id)
          .executeTakeFirstOrThrow();
        expect(Number(row.last_used_at)).toBe(server.clock.now());
      } finally {
        await store.close();
      }
    } finally {
      await server.database.drop();
      fs.rmSync(server.dataDir, { recursive: true, force: true });
    }
  });
});

describe.each(DATABASES)('grant usage when the database is gone (%s)', (db) => {
  it('gives up the flush at the first batch that fails, says so once, and notes the lost uses again on their next read', async () => {
    const database = await createTestDatabase(db);
    const { logger, lines } = memoryLogger();
    const store = await openStore(database.config);
    try {
      await migrate(store);
      const recorder = new UsageRecorder(store.db, logger, { flushEveryMs: 0 });
      const facts: AccessFacts = { orgRole: null, visibility: 'admins', directRank: 1, teamRank: null };
      for (let i = 0; i < 1_000; i += 1) recorder.record(`usr_${i}`, 'ds_one', facts, 1_000);
      recorder.touch('sessions', 'a-session-hash', null, 1_000);
      await store.close();

      await recorder.flush();
      const warnings = lines.map((line) => JSON.parse(line)).filter((entry) => entry.msg === 'grant usage could not be written');
      expect(warnings).toHaveLength(1);
      expect(warnings[0].uses).toBe(1_000);
      expect(recorder.pendingCount).toBe(0);
      // Lost, so noted again by the next read within the hour.
      recorder.record('usr_1', 'ds_one', facts, 2_000);
      expect(recorder.pendingCount).toBe(1);
    } finally {
      await database.drop();
    }
  });
});
