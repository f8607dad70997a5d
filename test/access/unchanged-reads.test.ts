import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOUR } from '../../src/clock.js';
import { readUnchanged, unchangedReads } from '../../src/store/unchanged.js';
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
 * A caller and their check are remembered while the database is unchanged (store/unchanged.ts).
 * These tests read the same thing again and again, so a remembered answer that outlives a change
 * would show as a wrong status; each also proves it was remembered.
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

  /** Some reads were remembered since `before`. */
  const expectRemembered = async (before: number) => {
    expect(await remembered()).toBeGreaterThan(before);
  };

  /** Statements committed together from a connection of their own, as the command line or an operator would. */
  const outside = async (...statements: string[]) => {
    if (a.database.config.kind === 'sqlite') {
      const connection = new SQLite(a.database.config.file);
      connection.pragma('busy_timeout = 5000');
      connection.pragma('foreign_keys = ON');
      connection.transaction(() => {
        for (const statement of statements) connection.exec(statement);
      })();
      connection.close();
    } else {
      await a.ctx.db.transaction().execute(async (tx) => {
        for (const statement of statements) await sql.raw(statement).execute(tx);
      });
    }
  };

  /**
   * Each kind of change a caller or a check depends on, made outside any server, ends a
   * remembered read at the next request; a commit that concerns other users and datasets
   * (also made outside) does not, on SQLite. Each case starts from the same small world.
   */
  const CHANGES: {
    name: string;
    /** Ann's place in the world: a direct grant, a team grant, a role, a tier. */
    world: (w: ReturnType<typeof world>) => ReturnType<typeof world>;
    /** What Ann reads (`me` or the dataset), and what she gets before and after. */
    read: 'me' | 'cams';
    before: (res: { status: number; body: Record<string, unknown> }) => void;
    change: (ids: { ann: string; cams: string; labelers: string }) => string[];
    after: (res: { status: number; body: Record<string, unknown> }) => void;
  }[] = [
    {
      name: 'a direct grant changed',
      world: (w) => w.grant('cams', 'ann', 'write'),
      read: 'cams',
      before: (res) => expect(res.body.myLevel).toBe('write'),
      change: ({ ann, cams }) => [`update user_grants set level = 1 where dataset_id = '${cams}' and user_id = '${ann}'`],
      after: (res) => expect(res.body.myLevel).toBe('read'),
    },
    {
      name: 'a team grant removed',
      world: (w) => w.teamGrant('cams', 'labelers', 'annotate'),
      read: 'cams',
      before: (res) => expect(res.body.myLevel).toBe('annotate'),
      change: ({ cams }) => [`delete from team_grants where dataset_id = '${cams}'`],
      after: (res) => expect(res.status).toBe(404),
    },
    {
      name: 'a team membership ended',
      world: (w) => w.teamGrant('cams', 'labelers', 'annotate'),
      read: 'cams',
      before: (res) => expect(res.body.myLevel).toBe('annotate'),
      change: ({ ann }) => [`delete from team_members where user_id = '${ann}'`],
      after: (res) => expect(res.status).toBe(404),
    },
    {
      name: 'a team deleted, its members and grants going with it',
      world: (w) => w.teamGrant('cams', 'labelers', 'annotate'),
      read: 'cams',
      before: (res) => expect(res.body.myLevel).toBe('annotate'),
      change: ({ labelers }) => [`delete from teams where id = '${labelers}'`],
      after: (res) => expect(res.status).toBe(404),
    },
    {
      name: 'an organization role changed',
      world: (w) => w,
      read: 'cams',
      before: (res) => expect(res.body.myLevel).toBe('read'),
      change: ({ ann }) => [`delete from org_members where user_id = '${ann}'`],
      after: (res) => expect(res.status).toBe(404),
    },
    {
      name: 'the dataset moved to another tier',
      world: (w) => w,
      read: 'cams',
      before: (res) => expect(res.body.myLevel).toBe('read'),
      change: ({ cams }) => [`update datasets set visibility = 'admins' where id = '${cams}'`],
      after: (res) => expect(res.status).toBe(404),
    },
    {
      name: 'the dataset renamed',
      world: (w) => w,
      read: 'cams',
      before: (res) => expect(res.body.name).toBe('cams'),
      change: ({ cams }) => [`update datasets set name = 'Cameras', name_key = 'cameras' where id = '${cams}'`],
      after: (res) => expect(res.body.name).toBe('Cameras'),
    },
    {
      name: 'the user renamed',
      world: (w) => w,
      read: 'me',
      before: (res) => expect(res.status).toBe(200),
      change: ({ ann }) => [`update users set name = 'Ann Other' where id = '${ann}'`],
      after: (res) => expect((res.body.user as { name: string }).name).toBe('Ann Other'),
    },
    {
      name: 'the session ended',
      world: (w) => w,
      read: 'me',
      before: (res) => expect(res.status).toBe(200),
      change: ({ ann }) => [`delete from sessions where user_id = '${ann}'`],
      after: (res) => expect(res.status).toBe(401),
    },
    {
      name: 'the session cut short',
      world: (w) => w,
      read: 'me',
      before: (res) => expect(res.status).toBe(200),
      change: ({ ann }) => [`update sessions set expires_at = 1 where user_id = '${ann}'`],
      after: (res) => expect(res.status).toBe(401),
    },
  ];

  it.each(CHANGES.map((c) => [c.name, c] as const))(
    '%s ends the remembered read at the next request, and nothing else does',
    async (_name, c) => {
      const build = c.world(
        world(a)
          .org('acme')
          .member('ann')
          .member('bob')
          .team('labelers', ['ann'])
          .dataset('cams', { tier: c.name === 'a direct grant changed' || c.name.startsWith('a team') ? 'admins' : 'organization' })
          .dataset('maps', { tier: 'organization' }),
      );
      const w = await build.build();
      const ann = w.users.ann!;
      const ids = { ann: ann.id, cams: w.datasets.cams!, labelers: w.teams.labelers! };
      const read = async () => {
        const res = await ann.get(c.read === 'me' ? '/api/v1/me' : `/api/v1/datasets/${ids.cams}`);
        return { status: res.status, body: res.body as Record<string, unknown> };
      };
      for (let i = 0; i < 3; i += 1) c.before(await read());

      // Changes to another user and another dataset, committed from outside.
      const others = [
        `update users set name = 'Bob Other' where id = '${w.users.bob!.id}'`,
        `update datasets set description = 'x' where id = '${w.datasets.maps}'`,
      ];
      await outside(...others);
      const before = await remembered();
      c.before(await read());
      await expectRemembered(before);

      await outside(...c.change(ids));
      c.after(await read());
      c.after(await read());
    },
  );

  it('the last use of a session or a token, written every few seconds, forgets nothing', async () => {
    const w = await world(a).org('acme').member('ann').build();
    const ann = w.users.ann!;
    const token = await mintToken(a, ann);
    const script = new Actor(a.app, { bearer: token });
    for (let i = 0; i < 3; i += 1) {
      expect((await ann.get('/api/v1/me')).status).toBe(200);
      expect((await script.get('/api/v1/me')).status).toBe(200);
    }
    await outside(
      `update sessions set last_used_at = ${a.clock.now()} where user_id = '${ann.id}'`,
      `update access_tokens set last_used_at = ${a.clock.now()} where user_id = '${ann.id}'`,
    );
    const before = await remembered();
    expect((await ann.get('/api/v1/me')).status).toBe(200);
    expect((await script.get('/api/v1/me')).status).toBe(200);
    expect(await remembered()).toBe(before + 2);
  });

  it('a commit with more changes than are read at once forgets everything, and the log keeps its last changes only', async () => {
    const w = await world(a).org('acme').member('ann').member('bob').dataset('cams').grant('cams', 'ann', 'read').build();
    const ann = w.users.ann!;
    const url = `/api/v1/datasets/${w.datasets.cams}`;
    for (let i = 0; i < 3; i += 1) expect((await ann.get(url)).body.myLevel).toBe('read');
    // Past the first thousand changes of the commit, which concern Bob only, Ann's grant goes.
    const bob = w.users.bob!.id;
    const renames = Array.from({ length: 1_200 }, (_, i) => `update users set name = 'Bob ${i}' where id = '${bob}'`);
    await outside(...renames, `delete from user_grants where dataset_id = '${w.datasets.cams}' and user_id = '${ann.id}'`);
    expect((await ann.get(url)).status).toBe(404);

    if (db === 'sqlite') {
      await outside(...Array.from({ length: 10_500 }, (_, i) => `update users set name = 'Bob ${i}' where id = '${bob}'`));
      const logged = await sql<{ n: number }>`select count(*) as n from access_changes`.execute(a.ctx.db);
      expect(Number(logged.rows[0]!.n)).toBeLessThanOrEqual(10_100);
      expect(Number(logged.rows[0]!.n)).toBeGreaterThanOrEqual(10_000);
    }
  });

  it('a read under way while another request reads a change it may predate is given once, not remembered', async () => {
    const w = await world(a).org('acme').member('ann').build();
    const ann = w.users.ann!.id;
    const now = a.clock.now();
    let reads = 0;
    const holds = () => Number.POSITIVE_INFINITY;
    const ofAnn = () => ({ userId: ann, datasetId: null });
    // Ann's read runs before the change commits, and another request reads the change (and
    // forgets what concerns Ann) before this read is kept: as two requests interleave at an await.
    const readBeforeTheChange = async () => {
      reads += 1;
      const value = { name: 'before' };
      await outside(`update users set name = 'after' where id = '${ann}'`);
      await readUnchanged(
        a.ctx.db,
        `other ${reads}`,
        now,
        async () => ({}),
        holds,
        () => ({ userId: 'someone else', datasetId: null }),
      );
      return value;
    };
    expect(await readUnchanged(a.ctx.db, `ann ${ann}`, now, readBeforeTheChange, holds, ofAnn)).toEqual({ name: 'before' });
    const again = await readUnchanged(a.ctx.db, `ann ${ann}`, now, async () => ({ name: 'read again' }), holds, ofAnn);
    expect(again).toEqual({ name: 'read again' });
    expect(reads).toBe(1);
  });

  it('a token taken over by another user through a replacing insert is read again', async () => {
    const w = await world(a).org('acme').member('ann').member('bob').build();
    const [ann, bob] = [w.users.ann!, w.users.bob!];
    const token = await mintToken(a, ann);
    const script = new Actor(a.app, { bearer: token });
    const before = await remembered();
    for (let i = 0; i < 3; i += 1) expect((await script.get('/api/v1/me')).body.user.id).toBe(ann.id);
    await expectRemembered(before);
    // SQLite's `insert or replace` deletes the row it collides with and fires no delete trigger for it.
    await outside(
      db === 'sqlite'
        ? `insert or replace into access_tokens (id, user_id, name, token_hash, created_at, scope, expires_at)
             select 'tok_taken_over', '${bob.id}', name, token_hash, created_at, scope, expires_at from access_tokens where user_id = '${ann.id}'`
        : `update access_tokens set user_id = '${bob.id}' where user_id = '${ann.id}'`,
    );
    expect((await script.get('/api/v1/me')).body.user.id).toBe(bob.id);
  });

  it('with a trigger of the change log missing, nothing is remembered', async () => {
    const w = await world(a)
      .org('acme')
      .member('ann')
      .team('labelers', ['ann'])
      .dataset('cams')
      .teamGrant('cams', 'labelers', 'write')
      .build();
    const ann = w.users.ann!;
    const url = `/api/v1/datasets/${w.datasets.cams}`;
    // SQLite notes each kind of change by a trigger of its own; PostgreSQL, all of a table's by one.
    const dropped = db === 'sqlite' ? 'team_members_access_delete' : 'team_members_access';
    const [trigger] = (
      db === 'sqlite'
        ? await sql<{ sql: string }>`select sql from sqlite_master where name = ${dropped}`.execute(a.ctx.db)
        : await sql<{ sql: string }>`select pg_get_triggerdef(t.oid) as sql from pg_trigger t
             where t.tgname = ${dropped} and t.tgrelid = 'team_members'::regclass`.execute(a.ctx.db)
    ).rows;
    expect(trigger).toBeDefined();
    await outside(db === 'sqlite' ? `drop trigger ${dropped}` : `drop trigger ${dropped} on team_members`);
    try {
      const before = await remembered();
      for (let i = 0; i < 3; i += 1) expect((await ann.get(url)).body.myLevel).toBe('write');
      expect(await remembered()).toBe(before);
      // Noted by nothing now, and seen all the same.
      await outside(`delete from team_members where user_id = '${ann.id}'`);
      expect((await ann.get(url)).status).toBe(404);
    } finally {
      await outside(trigger!.sql);
    }
    // With the trigger back, reads are remembered again.
    const before = await remembered();
    for (let i = 0; i < 3; i += 1) expect((await ann.get(url)).status).toBe(404);
    await expectRemembered(before);
  });

  it('a grant given during a generation bounds it from its start, whatever the clock of the request that read it', async () => {
    const w = await world(a).org('acme').member('ann').dataset('cams').build();
    const base = a.clock.now();
    const holds = () => Number.POSITIVE_INFINITY;
    const ofNobody = () => ({ userId: 'nobody', datasetId: null });
    await readUnchanged(a.ctx.db, 'from base', base, async () => ({}), holds, ofNobody);
    await outside(
      `insert into user_grants (dataset_id, user_id, level, expires_at, created_at) values ('${w.datasets.cams}', '${w.users.ann!.id}', 1, ${base + 2_000}, ${base})`,
    );
    // A request whose clock is already past that grant's expiry reads the change first…
    await readUnchanged(a.ctx.db, 'late', base + 3_000, async () => ({}), holds, ofNobody);
    // …then one whose clock is before it reads while the grant is in force: its answer ends with the grant.
    let reads = 0;
    const read = async () => ({ reads: ++reads });
    expect(await readUnchanged(a.ctx.db, 'early', base + 1_000, read, holds, ofNobody)).toEqual({ reads: 1 });
    expect(await readUnchanged(a.ctx.db, 'early', base + 4_000, read, holds, ofNobody)).toEqual({ reads: 2 });
  });

  it('a change to the schema forgets everything, whatever the change log says', async () => {
    const w = await world(a).org('acme').member('ann').dataset('cams').grant('cams', 'ann', 'read').build();
    const ann = w.users.ann!;
    const url = `/api/v1/datasets/${w.datasets.cams}`;
    for (let i = 0; i < 3; i += 1) expect((await ann.get(url)).body.myLevel).toBe('read');
    const revoke = `delete from user_grants where dataset_id = '${w.datasets.cams}' and user_id = '${ann.id}'`;
    if (db === 'sqlite') {
      // A migration that rebuilds a table moves its rows with its triggers set aside.
      const [trigger] = (
        await sql<{ sql: string }>`select sql from sqlite_master where name = 'user_grants_access_delete'`.execute(a.ctx.db)
      ).rows;
      await outside('drop trigger user_grants_access_delete', revoke, trigger!.sql);
    } else {
      // The trigger dropped and made again, or disabled and enabled, in the revoke's own transaction.
      const [trigger] = (
        await sql<{ sql: string }>`select pg_get_triggerdef(t.oid) as sql from pg_trigger t
           where t.tgname = 'user_grants_access' and t.tgrelid = 'user_grants'::regclass`.execute(a.ctx.db)
      ).rows;
      await outside('drop trigger user_grants_access on user_grants', revoke, trigger!.sql);
      expect((await ann.get(url)).status).toBe(404);
      expect((await w.orgs.acme!.admin.put(`${url}/sharing/users/${ann.id}`, { level: 'read' })).status).toBe(200);
      for (let i = 0; i < 3; i += 1) expect((await ann.get(url)).body.myLevel).toBe('read');
      await outside(
        'alter table user_grants disable trigger user_grants_access',
        revoke,
        'alter table user_grants enable trigger user_grants_access',
      );
      expect((await ann.get(url)).status).toBe(404);
      // The trigger's function made to note nothing, then put back.
      expect((await w.orgs.acme!.admin.put(`${url}/sharing/users/${ann.id}`, { level: 'read' })).status).toBe(200);
      for (let i = 0; i < 3; i += 1) expect((await ann.get(url)).body.myLevel).toBe('read');
      const [definition] = (
        await sql<{ sql: string }>`select pg_get_functiondef('user_grants_access_note'::regproc) as sql`.execute(a.ctx.db)
      ).rows;
      await outside(
        `create or replace function user_grants_access_note() returns trigger language plpgsql as $body$ begin return null; end $body$`,
        revoke,
        definition!.sql,
      );
    }
    expect((await ann.get(url)).status).toBe(404);
  });

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
    // Its own connection, as the command line or an operator's sqlite3 shell would have.
    await outside(`delete from user_grants where dataset_id = '${w.datasets.cams}' and user_id = '${ann.id}'`);
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
  const removals =
    db === 'sqlite'
      ? ['delete from access_changes']
      : [`select access_changes_prune(interval '0 seconds')`, 'delete from access_changes', 'truncate access_changes'];
  it.each(removals)('changes removed from the log before anyone read them forget everything (%s)', async (removal) => {
    const w = await world(a).org('acme').member('ann').dataset('cams').grant('cams', 'ann', 'read').build();
    const ann = w.users.ann!;
    const url = `/api/v1/datasets/${w.datasets.cams}`;
    const before = await remembered();
    for (let i = 0; i < 3; i += 1) expect((await ann.get(url)).body.myLevel).toBe('read');
    await expectRemembered(before);
    // The revoke is noted, then removed with every other change before any request reads it.
    await outside(`delete from user_grants where dataset_id = '${w.datasets.cams}' and user_id = '${ann.id}'`);
    await outside(removal);
    const left = await sql<{ n: number }>`select count(*) as n from access_changes where user_id is not null`.execute(a.ctx.db);
    expect(Number(left.rows[0]!.n)).toBe(0);
    expect((await ann.get(url)).status).toBe(404);
  });

  /**
   * PostgreSQL's own cases: a transaction under way while requests look, and a look held up by a
   * lock. SQLite has one writer at a time, whose commit is what `data_version` shows, and its read
   * connection never waits for a lock; holding that one write lock from outside would hold up the
   * instances' own writes (mail, jobs) instead.
   */
  if (db === 'postgres') {
    /** A transaction of its own, left open: `run` statements in it, then `commit`. */
    const openTransaction = async () => {
      const config = a.database.config;
      if (config.kind !== 'postgres') throw new Error('PostgreSQL only');
      const client = new pg.Client({ connectionString: config.url });
      await client.connect();
      await client.query(`set search_path to ${config.schema}`);
      await client.query('begin');
      return {
        run: async (statement: string) => void (await client.query(statement)),
        commit: async () => void (await client.query('commit')),
        end: () => client.end(),
      };
    };

    it('a change of a transaction under way while reads look is read once it commits', async () => {
      const w = await world(a).org('acme').member('ann').dataset('cams').grant('cams', 'ann', 'write').build();
      const ann = w.users.ann!;
      const url = `/api/v1/datasets/${w.datasets.cams}`;
      const writer = await openTransaction();
      try {
        // The revoke is noted with its transaction's id before the reads below look, and commits after.
        await writer.run(`delete from user_grants where dataset_id = '${w.datasets.cams}' and user_id = '${ann.id}'`);
        const before = await remembered();
        for (let i = 0; i < 3; i += 1) expect((await ann.get(url)).body.myLevel).toBe('write');
        await expectRemembered(before);
        // A later transaction commits first: the look that reads its change must not pass over the first.
        await outside(`update users set name = 'Ann Other' where id = '${ann.id}'`);
        expect((await ann.get(url)).body.myLevel).toBe('write');
        await writer.commit();
        expect((await ann.get(url)).status).toBe(404);
      } finally {
        await writer.end().catch(() => undefined);
      }
    });

    it('the log is written once, and its horizon only goes up and stays one row', async () => {
      await outside(`insert into access_changes (user_id, dataset_id) values ('someone', null)`);
      const refused = async (statement: string) => {
        await expect(outside(statement)).rejects.toThrow();
      };
      await refused(`update access_changes set xid = 0`);
      await refused('update access_changes_horizon set below = below - 1');
      await refused('delete from access_changes_horizon');
      await refused('truncate access_changes_horizon');
      await outside('update access_changes_horizon set below = below + 1');
      const rows = await sql<{ n: number }>`select count(*) as n from access_changes_horizon`.execute(a.ctx.db);
      expect(Number(rows.rows[0]!.n)).toBe(1);
    });

    it('a look at the change log held up by a lock leaves the requests to read alone', async () => {
      const w = await world(a).org('acme').member('ann').dataset('cams').grant('cams', 'ann', 'read').build();
      const ann = w.users.ann!;
      const url = `/api/v1/datasets/${w.datasets.cams}`;
      for (let i = 0; i < 3; i += 1) expect((await ann.get(url)).body.myLevel).toBe('read');
      const locker = await openTransaction();
      try {
        // The look waits for the lock until its deadline, then the request reads alone.
        await locker.run('lock table access_changes_horizon in access exclusive mode');
        const before = await remembered();
        const started = performance.now();
        expect((await ann.get(url)).body.myLevel).toBe('read');
        expect(performance.now() - started).toBeLessThan(8_000);
        expect(await remembered()).toBe(before);
        await locker.commit();
      } finally {
        await locker.end().catch(() => undefined);
      }
      // The late look changes nothing; the next one remembers again.
      const before = await remembered();
      for (let i = 0; i < 3; i += 1) expect((await ann.get(url)).body.myLevel).toBe('read');
      await expectRemembered(before);
    });
  }
});
