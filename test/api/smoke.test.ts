import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { world } from '../helpers/world.js';

describe.each(DATABASES)('the access rule end to end (%s)', (db) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ db });
  });
  afterAll(async () => {
    await server.close();
  });

  it('gives org admins, members, teams and direct grants exactly their levels', async () => {
    const w = await world(server)
      .org('acme')
      .member('ann')
      .member('bob')
      .outsider('eve')
      .team('labelers', ['ann'])
      .dataset('cams', { tier: 'admins' })
      .dataset('drones', { tier: 'organization' })
      .teamGrant('cams', 'labelers', 'annotate')
      .build();
    const { ann, bob, eve } = w.users as Record<string, NonNullable<(typeof w.users)[string]>>;
    const admin = w.orgs.acme!.admin;

    expect((await ann!.get(`/api/v1/datasets/${w.datasets.cams}`)).body.myLevel).toBe('annotate');
    expect((await bob!.get(`/api/v1/datasets/${w.datasets.cams}`)).status).toBe(404);
    expect((await bob!.get(`/api/v1/datasets/${w.datasets.drones}`)).body.myLevel).toBe('read');
    expect((await eve!.get(`/api/v1/datasets/${w.datasets.drones}`)).status).toBe(404);
    expect((await admin.get(`/api/v1/datasets/${w.datasets.cams}`)).body.myLevel).toBe('admin');

    const inv = await ann!.get('/api/v1/datasets');
    expect(inv.status).toBe(200);
    expect(inv.body.items.map((d: { name: string }) => d.name)).toEqual(['cams', 'drones']);
    expect(inv.body.items[0].teams).toEqual([{ id: w.teams.labelers, name: 'labelers', level: 'annotate' }]);

    const revoke = await admin.delete(`/api/v1/datasets/${w.datasets.cams}/sharing/teams/${w.teams.labelers}`);
    expect(revoke.status).toBe(204);
    expect((await ann!.get(`/api/v1/datasets/${w.datasets.cams}`)).status).toBe(404);
  });
});
