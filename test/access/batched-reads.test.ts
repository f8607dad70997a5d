import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Unavailable } from '../../src/errors.js';
import { batchedReads, readBatched, readBatches } from '../../src/store/batch.js';
import { unchangedReads } from '../../src/store/unchanged.js';
import { DATABASES } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { mintToken, world } from '../helpers/world.js';

const counted = async (counter: typeof batchedReads) => (await counter.get()).values[0]?.value ?? 0;

describe.each(DATABASES)('reads of many requests at once (%s)', (db) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ db });
  });
  afterAll(async () => {
    await server.close();
  });

  it('answers each of many requests made at once as if it were alone, and a revoke holds for the next ones', async () => {
    const w = await world(server)
      .org('acme')
      .member('ann')
      .member('bob')
      .outsider('eve')
      .dataset('cams')
      .dataset('maps', { tier: 'organization' })
      .dataset('logs')
      .grant('cams', 'ann', 'write')
      .grant('logs', 'bob', 'annotate')
      .build();
    const { ann, bob, eve } = w.users as Required<typeof w.users>;
    const url = (name: string) => `/api/v1/datasets/${w.datasets[name]}`;
    const annToken = await mintToken(server, ann!, { scope: 'read' });
    const bobToken = await mintToken(server, bob!);
    const eveToken = await mintToken(server, eve!);
    const minted = await bob!.post('/api/v1/me/tokens', { name: 'gone' });
    const gone = minted.body.token as string;
    expect((await bob!.delete(`/api/v1/me/tokens/${minted.body.id}`)).status).toBe(204);
    const byToken = (token: string, path: string) =>
      server.app.inject({ method: 'GET', url: path, headers: { authorization: `Bearer ${token}` } });

    // What each caller may see, one request at a time: [read, expected status, expected level].
    type Read = [() => Promise<{ status: number; level?: string }>, number, string | undefined];
    const asToken = (token: string, path: string) => async () => {
      const res = await byToken(token, path);
      return { status: res.statusCode, level: res.statusCode === 200 ? res.json().myLevel : undefined };
    };
    const asSession = (actor: typeof ann, path: string) => async () => {
      const res = await actor!.get(path);
      return { status: res.status, level: res.status === 200 ? res.body.myLevel : undefined };
    };
    const reads: Read[] = [
      [asToken(annToken, url('cams')), 200, 'read'],
      [asSession(ann, url('cams')), 200, 'write'],
      [asSession(ann, url('maps')), 200, 'read'],
      [asToken(annToken, url('logs')), 404, undefined],
      [asToken(bobToken, url('logs')), 200, 'annotate'],
      [asToken(bobToken, url('cams')), 404, undefined],
      [asSession(bob, url('maps')), 200, 'read'],
      [asToken(eveToken, url('maps')), 404, undefined],
      [asSession(eve, url('cams')), 404, undefined],
      [asToken(gone, url('logs')), 401, undefined],
      [asToken('tsr_forged', url('cams')), 401, undefined],
      [asToken(annToken, '/api/v1/datasets/ds_nosuchdataset'), 404, undefined],
      // Not ids at all: refused by the route, and never part of anyone else's read.
      [asToken(annToken, '/api/v1/datasets/%00%22%5C'), 400, undefined],
      [asToken(annToken, '/api/v1/datasets/ds_a%00b'), 400, undefined],
      [asSession(ann, '/api/v1/datasets/ds_%22%2C%7B%7D'), 400, undefined],
      [asSession(ann, '/api/v1/me'), 200, undefined],
    ];
    const all = Array.from({ length: 6 }, () => reads).flat();
    const readsBefore = await counted(batchedReads);
    const batchesBefore = await counted(readBatches);
    const rememberedBefore = await counted(unchangedReads);
    const answers = await Promise.all(all.map(([read]) => read()));
    expect(answers).toEqual(all.map(([, status, level]) => ({ status, level })));
    const batched = (await counted(batchedReads)) - readsBefore;
    const batches = (await counted(readBatches)) - batchesBefore;
    const remembered = (await counted(unchangedReads)) - rememberedBefore;
    if (db === 'postgres') {
      // Every caller was read through a shared statement, and they did share, but those read
      // for the world's own requests and remembered since (store/unchanged.ts). A path with a
      // NUL in it is refused by the router before anyone is read.
      expect(batched + remembered).toBe(all.length - 2 * 6);
      expect(batched).toBeGreaterThan(all.length / 2);
      expect(batches).toBeLessThan(batched / 2);
    } else {
      // SQLite reads on its own connection in microseconds: nothing to share.
      expect(batched).toBe(0);
      expect(batches).toBe(0);
    }

    expect((await w.orgs.acme!.admin.delete(`${url('cams')}/sharing/users/${ann!.id}`)).status).toBe(204);
    expect((await w.orgs.acme!.admin.delete(`/api/v1/orgs/${w.orgs.acme!.id}/members/${bob!.id}`)).status).toBe(204);
    const after = await Promise.all([
      ...Array.from({ length: 10 }, () => asToken(annToken, url('cams'))()),
      ...Array.from({ length: 10 }, () => asSession(ann, url('cams'))()),
      ...Array.from({ length: 10 }, () => asToken(bobToken, url('logs'))()),
      ...Array.from({ length: 10 }, () => asSession(ann, url('maps'))()),
    ]);
    expect(after.map((a) => a.status)).toEqual([...Array(30).fill(404), ...Array(10).fill(200)]);
  });
});

describe('a shared statement that fails or stalls (postgres)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ db: 'postgres' });
  });
  afterAll(async () => {
    await server.close();
  });

  it('a read that cannot be made fails alone, and the others of its statement are answered', async () => {
    const text = `select q.i as batch_index, q.v::int as n, q.tag from unnest($1::text[], $2::text[]) with ordinality as q(v, tag, i)`;
    const values = ['1', '2', 'not a number', '4', '5'];
    const results = await Promise.allSettled(values.map((v, i) => readBatched(server.ctx.db, text, [v, `read ${i}`])));
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : 'failed'))).toEqual([
      [{ n: 1, tag: 'read 0' }],
      [{ n: 2, tag: 'read 1' }],
      'failed',
      [{ n: 4, tag: 'read 3' }],
      [{ n: 5, tag: 'read 4' }],
    ]);
  });

  it('a statement past its deadline fails its reads as unavailable, and the reads after it are still answered', async () => {
    // Each statement whose reads include 'slow' sleeps 3 s; the deadline here is 0.5 s.
    const text = `select q.i as batch_index, q.v, pg_sleep(case when q.v = 'slow' then 3 else 0 end)::text as slept
      from unnest($1::text[]) with ordinality as q(v, i)`;
    const read = (v: string) => readBatched(server.ctx.db, text, [v], { deadlineMs: 500 });
    // Two statements out at once, each in a turn of its own: every place for this kind of read is taken.
    const first = read('slow');
    await new Promise((resolve) => setImmediate(resolve));
    const second = read('slow');
    await new Promise((resolve) => setImmediate(resolve));
    const third = read('quick');
    const [a, b, c] = await Promise.allSettled([first, second, third]);
    expect([a.status, b.status]).toEqual(['rejected', 'rejected']);
    expect((a as PromiseRejectedResult).reason).toBeInstanceOf(Unavailable);
    expect((b as PromiseRejectedResult).reason).toBeInstanceOf(Unavailable);
    expect(c).toEqual({ status: 'fulfilled', value: [{ v: 'quick', slept: '' }] });
  });

  it('a failing database fails every read of the statement once, without making each again', async () => {
    const text = `select q.i as batch_index, q.v from unnest($1::text[]) with ordinality as q(v, i) join no_such_table x on true`;
    const before = await counted(readBatches);
    const results = await Promise.allSettled(['a', 'b', 'c'].map((v) => readBatched(server.ctx.db, text, [v])));
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(new Set(results.map((r) => (r as PromiseRejectedResult).reason)).size).toBe(1);
    expect(await counted(readBatches)).toBe(before);
  });
});
