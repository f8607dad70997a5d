import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checksWithCaller } from '../../src/access/check.js';
import { accessCheckDuration } from '../../src/metrics.js';
import { DATABASES } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { mintToken, world } from '../helpers/world.js';

/** How many access decisions were made, and how many of them were read with their caller. */
const checksRun = async () => (await accessCheckDuration.get()).values.find((v) => v.metricName?.endsWith('_count'))?.value ?? 0;
const withCaller = async () => (await checksWithCaller.get()).values[0]?.value ?? 0;
/** Decisions that read the check in a statement of its own. */
const checksAlone = async () => (await checksRun()) - (await withCaller());

describe.each(DATABASES)('the caller and the check in one statement (%s)', (db) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ db });
  });
  afterAll(async () => {
    await server.close();
  });

  it('a dataset read by token or session takes its check from the caller lookup, and a revoke holds for the next request', async () => {
    const w = await world(server).org('acme').member('ann').dataset('cams').dataset('maps').grant('cams', 'ann', 'write').build();
    const ann = w.users.ann!;
    const admin = w.orgs.acme!.admin;
    const cams = `/api/v1/datasets/${w.datasets.cams}`;
    const token = await mintToken(server, ann, { scope: 'read' });
    const byToken = (url: string) => server.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });

    const before = await checksAlone();
    const joined = await withCaller();
    const read = await byToken(cams);
    expect(read.statusCode).toBe(200);
    // The token's scope still caps the level.
    expect(read.json()).toMatchObject({ id: w.datasets.cams, myLevel: 'read' });
    expect((await ann.get(cams)).body).toMatchObject({ myLevel: 'write' });
    expect((await byToken(`/api/v1/datasets/${w.datasets.maps}`)).statusCode).toBe(404);
    expect((await byToken('/api/v1/datasets/ds_nosuchdataset')).statusCode).toBe(404);
    expect(await checksAlone()).toBe(before);
    expect(await withCaller()).toBe(joined + 4);

    expect((await admin.delete(`${cams}/sharing/users/${ann.user.id}`)).status).toBe(204);
    expect((await byToken(cams)).statusCode).toBe(404);
    expect((await ann.get(cams)).status).toBe(404);
  });

  it('a check the route makes again in the same request, or about another dataset, reads the database', async () => {
    const w = await world(server).org('beta').member('bob').dataset('one').grant('one', 'bob', 'read').build();
    const before = await checksAlone();
    // Writes are checked by the use case itself, inside its transaction where it has one.
    const edit = await w.users.bob!.patch(`/api/v1/datasets/${w.datasets.one}`, { description: 'mine now' });
    expect(edit.status).toBe(403);
    expect(await checksAlone()).toBeGreaterThan(before);
  });
});
