import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Actor, uniqueEmail } from '../helpers/client.js';
import { DATABASES } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { mailedToken, type World, world } from '../helpers/world.js';
import { expectError } from './errors.js';

describe.each(DATABASES)('datasets over HTTP (%s)', (db) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ db });
  });
  afterAll(async () => {
    await server.close();
  });

  const people = (w: World) => w.users as Record<string, Actor>;

  it('creates a dataset, private by default, with a direct admin grant for its creator', async () => {
    const w = await world(server).org('acme').member('ann').build();
    const { ann } = people(w);
    const { id: orgId, admin } = w.orgs.acme!;
    const res = await ann!.post(`/api/v1/orgs/${orgId}/datasets`, { name: ' cams ', description: 'street cameras' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.any(String),
      name: 'cams',
      description: 'street cameras',
      orgId,
      visibility: 'admins',
      predecessorId: null,
      itemCount: 0,
      createdAt: new Date(server.clock.now()).toISOString(),
      updatedAt: new Date(server.clock.now()).toISOString(),
      myLevel: 'admin',
      // A member without the process-datasets capability, administering the dataset but not the org.
      allowedActions: [
        'dataset.read',
        'dataset.annotate',
        'dataset.edit',
        'dataset.upload',
        'dataset.createLayer',
        'dataset.share',
        'dataset.previewVisibility',
        'dataset.delete',
        'dataset.readAudit',
        'dataset.explainAccess',
      ],
    });
    expect((await ann!.get(`/api/v1/datasets/${res.body.id}`)).body).toEqual(res.body);
    const sharing = await admin.get(`/api/v1/datasets/${res.body.id}/sharing`);
    expect(sharing.body.users).toEqual([expect.objectContaining({ user: ann!.user, level: 'admin', external: false, active: true })]);

    const shared = await admin.post(`/api/v1/orgs/${orgId}/datasets`, { name: 'maps', visibility: 'external' });
    expect(shared.body).toMatchObject({ visibility: 'external', description: '', myLevel: 'admin' });
  });

  it('lets only org admins pick a tier other than admins; outsiders get 404, anonymous 401, bad input 400', async () => {
    const w = await world(server).org('tiers').member('ann').outsider('eve').build();
    const { ann, eve } = people(w);
    const { id: orgId, admin } = w.orgs.tiers!;
    const url = `/api/v1/orgs/${orgId}/datasets`;
    for (const visibility of ['organization', 'external']) {
      expectError(await ann!.post(url, { name: 'wide', visibility }), 403, 'forbidden');
    }
    expect((await ann!.post(url, { name: 'narrow', visibility: 'admins' })).status).toBe(201);
    expectError(await eve!.post(url, { name: 'intruder' }), 404, 'not_found');
    expectError(await new Actor(server.app).post(url, { name: 'anon' }), 401, 'unauthenticated');
    expectError(await admin.post(url, { name: 'x', visibility: 'everyone' }), 400, 'invalid_request');
    expectError(await admin.post(url, { name: '   ' }), 400, 'invalid_request');
    expectError(await admin.post(url, { name: 'x'.repeat(201) }), 400, 'invalid_request');
    expectError(await admin.post('/api/v1/orgs/org_nope/datasets', { name: 'x' }), 404, 'not_found');
    const names = (await admin.get(`/api/v1/datasets?orgId=${orgId}`)).body.items.map((d: { name: string }) => d.name);
    expect(names).toEqual(['narrow']);
  });

  it('answers 404 alike for a dataset I cannot read and one that does not exist', async () => {
    const w = await world(server).org('hidden').member('bob').outsider('eve').dataset('secret').build();
    const { bob, eve } = people(w);
    const url = `/api/v1/datasets/${w.datasets.secret}`;
    const missing = await bob!.get('/api/v1/datasets/ds_doesnotexist');
    expectError(missing, 404, 'not_found');
    for (const caller of [bob!, eve!]) {
      const res = await caller.get(url);
      expectError(res, 404, 'not_found');
      expect(res.body).toEqual(missing.body);
    }
    expectError(await new Actor(server.app).get(url), 401, 'unauthenticated');
  });

  it('renames and describes with write; annotate and read get 403, outsiders 404; renaming keeps access', async () => {
    const w = await world(server)
      .org('edit')
      .member('wes')
      .member('ann')
      .member('rita')
      .outsider('eve')
      .dataset('cams')
      .grant('cams', 'wes', 'write')
      .grant('cams', 'ann', 'annotate')
      .grant('cams', 'rita', 'read')
      .build();
    const { wes, ann, rita, eve } = people(w);
    const url = `/api/v1/datasets/${w.datasets.cams}`;
    const before = (await wes!.get(url)).body;
    server.clock.advance(60_000);
    const res = await wes!.patch(url, { name: 'cameras', description: 'all of them' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      ...before,
      name: 'cameras',
      description: 'all of them',
      updatedAt: new Date(server.clock.now()).toISOString(),
      myLevel: 'write',
    });
    expectError(await ann!.patch(url, { name: 'mine' }), 403, 'forbidden');
    expectError(await rita!.patch(url, { description: 'mine' }), 403, 'forbidden');
    expectError(await eve!.patch(url, { name: 'mine' }), 404, 'not_found');
    expectError(await new Actor(server.app).patch(url, { name: 'mine' }), 401, 'unauthenticated');
    expectError(await wes!.patch(url, {}), 400, 'invalid_request');
    expectError(await wes!.patch(url, { name: '' }), 400, 'invalid_request');
    expect((await rita!.get(url)).body).toMatchObject({ name: 'cameras', description: 'all of them', myLevel: 'read' });
    expect((await ann!.get(url)).body.myLevel).toBe('annotate');
  });

  it('changes the tier only for org admins, not dataset admins, and the new tier counts at once', async () => {
    const w = await world(server).org('tier').member('ann').member('bob').dataset('mine', { by: 'ann' }).build();
    const { ann, bob } = people(w);
    const admin = w.orgs.tier!.admin;
    const url = `/api/v1/datasets/${w.datasets.mine}`;
    expect((await ann!.get(url)).body.myLevel).toBe('admin');
    expectError(await ann!.patch(url, { visibility: 'organization' }), 403, 'forbidden');
    expectError(await ann!.patch(url, { name: 'renamed', visibility: 'organization' }), 403, 'forbidden');
    expect((await ann!.get(url)).body).toMatchObject({ name: 'mine', visibility: 'admins' });
    expectError(await bob!.patch(url, { visibility: 'organization' }), 404, 'not_found');

    const changed = await admin.patch(url, { visibility: 'organization' });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ visibility: 'organization', myLevel: 'admin' });
    expect((await bob!.get(url)).body.myLevel).toBe('read');
    expectError(await bob!.patch(url, { visibility: 'admins' }), 403, 'forbidden');
    expectError(await admin.patch(url, { visibility: 'public' }), 400, 'invalid_request');
    expect((await admin.patch(url, { visibility: 'admins' })).status).toBe(200);
    expectError(await bob!.get(url), 404, 'not_found');
  });

  it('deletes with admin only; grants and pending invitations die with it', async () => {
    const w = await world(server)
      .org('gone')
      .member('wes')
      .member('ann')
      .outsider('eve')
      .team('labelers', ['ann'])
      .dataset('cams', { tier: 'external' })
      .grant('cams', 'wes', 'write')
      .teamGrant('cams', 'labelers', 'read')
      .build();
    const { wes, ann, eve } = people(w);
    const admin = w.orgs.gone!.admin;
    const url = `/api/v1/datasets/${w.datasets.cams}`;
    const invitee = uniqueEmail('partner');
    expect((await admin.post(`${url}/invitations`, { emails: [invitee], level: 'read' })).status).toBe(201);
    const token = await mailedToken(server, invitee);

    expectError(await wes!.delete(url), 403, 'forbidden');
    expectError(await ann!.delete(url), 403, 'forbidden');
    expectError(await eve!.delete(url), 404, 'not_found');
    expectError(await new Actor(server.app).delete(url), 401, 'unauthenticated');
    expect((await wes!.get(url)).status).toBe(200);

    expect((await admin.delete(url)).status).toBe(204);
    for (const caller of [admin, wes!, ann!]) expectError(await caller.get(url), 404, 'not_found');
    expectError(await admin.delete(url), 404, 'not_found');
    expectError(await admin.get(`${url}/sharing`), 404, 'not_found');
    expect((await wes!.get('/api/v1/datasets')).body.items).toEqual([]);
    expectError(await new Actor(server.app).get(`/api/v1/invitations/lookup?token=${token}`), 404, 'not_found');
  });
});
