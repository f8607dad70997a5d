import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Actor } from '../helpers/client.js';
import { DATABASES } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { type World, world } from '../helpers/world.js';
import { expectError } from './errors.js';

const HOUR = 60 * 60 * 1000;

describe.each(DATABASES)('sharing with users and teams over HTTP (%s)', (db) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ db });
  });
  afterAll(async () => {
    await server.close();
  });

  const people = (w: World) => w.users as Record<string, Actor>;
  const iso = (ms: number) => new Date(ms).toISOString();

  it('shows sharing settings to dataset admins only: write gets 403, outsiders 404, anonymous 401', async () => {
    const w = await world(server)
      .org('acme')
      .member('ann')
      .member('wes')
      .outsider('eve')
      .team('labelers', ['ann'])
      .dataset('cams')
      .grant('cams', 'ann', 'admin')
      .grant('cams', 'wes', 'write')
      .teamGrant('cams', 'labelers', 'annotate')
      .build();
    const { ann, wes, eve } = people(w);
    const admin = w.orgs.acme!.admin;
    const url = `/api/v1/datasets/${w.datasets.cams}/sharing`;
    const res = await ann!.get(url);
    expect(res.status).toBe(200);
    expect(res.body.visibility).toBe('admins');
    expect(res.body.users).toEqual(
      expect.arrayContaining([
        {
          user: wes!.user,
          level: 'write',
          external: false,
          active: true,
          expiresAt: null,
          grantedBy: { id: admin.id, name: admin.user.name },
          createdAt: iso(server.clock.now()),
        },
        expect.objectContaining({ user: admin.user, level: 'admin' }),
        expect.objectContaining({ user: ann!.user, level: 'admin' }),
      ]),
    );
    expect(res.body.users).toHaveLength(3);
    expect(res.body.teams).toEqual([
      {
        team: { id: w.teams.labelers, name: 'labelers', memberCount: 1 },
        level: 'annotate',
        expiresAt: null,
        grantedBy: { id: admin.id, name: admin.user.name },
        createdAt: iso(server.clock.now()),
      },
    ]);
    expect(res.body.invitations).toEqual([]);
    expectError(await wes!.get(url), 403, 'forbidden');
    expectError(await eve!.get(url), 404, 'not_found');
    expectError(await new Actor(server.app).get(url), 401, 'unauthenticated');
  });

  it('sets, changes and revokes a direct grant; each change counts on the next request', async () => {
    const w = await world(server)
      .org('direct')
      .member('ann')
      .member('wes')
      .outsider('eve')
      .dataset('cams')
      .grant('cams', 'wes', 'write')
      .build();
    const { ann, wes, eve } = people(w);
    const admin = w.orgs.direct!.admin;
    const url = `/api/v1/datasets/${w.datasets.cams}`;
    const grant = `${url}/sharing/users/${ann!.id}`;
    const set = await admin.put(grant, { level: 'annotate' });
    expect(set.status).toBe(200);
    expect(set.body).toEqual({
      user: ann!.user,
      level: 'annotate',
      external: false,
      active: true,
      expiresAt: null,
      grantedBy: { id: admin.id, name: admin.user.name },
      createdAt: expect.any(String),
    });
    expect((await ann!.get(url)).body.myLevel).toBe('annotate');
    expect((await admin.put(grant, { level: 'read' })).body.level).toBe('read');
    expect((await ann!.get(url)).body.myLevel).toBe('read');

    expectError(await wes!.put(grant, { level: 'admin' }), 403, 'forbidden');
    expectError(await wes!.delete(grant), 403, 'forbidden');
    expectError(await eve!.put(grant, { level: 'admin' }), 404, 'not_found');
    expectError(await eve!.delete(grant), 404, 'not_found');
    expectError(await new Actor(server.app).put(grant, { level: 'admin' }), 401, 'unauthenticated');
    expectError(await admin.put(grant, { level: 'owner' }), 400, 'invalid_request');
    expectError(await admin.put(grant, {}), 400, 'invalid_request');
    expectError(await admin.put(`${url}/sharing/users/usr_nobody`, { level: 'read' }), 404, 'not_found');
    expectError(await admin.put(`/api/v1/datasets/ds_nope/sharing/users/${ann!.id}`, { level: 'read' }), 404, 'not_found');
    expect((await ann!.get(url)).body.myLevel).toBe('read');

    expect((await admin.delete(grant)).status).toBe(204);
    expectError(await ann!.get(url), 404, 'not_found');
    expect((await admin.delete(grant)).status).toBe(204);
    expect((await admin.get(`${url}/sharing`)).body.users.map((g: { user: { id: string } }) => g.user.id)).not.toContain(ann!.id);
  });

  it('lets a creator revoke their own admin grant like any other', async () => {
    const w = await world(server).org('self').member('ann').dataset('mine', { by: 'ann' }).build();
    const { ann } = people(w);
    const url = `/api/v1/datasets/${w.datasets.mine}`;
    expect((await ann!.delete(`${url}/sharing/users/${ann!.id}`)).status).toBe(204);
    expectError(await ann!.get(url), 404, 'not_found');
    expect((await w.orgs.self!.admin.get(url)).body.myLevel).toBe('admin');
  });

  it('refuses an external user while the tier is not external, and keeps their grant dormant after the tier narrows', async () => {
    const w = await world(server)
      .org('ext')
      .outsider('pat')
      .dataset('open', { tier: 'external' })
      .invite('open', 'pat', 'read')
      .dataset('cams', { tier: 'organization' })
      .build();
    const { pat } = people(w);
    const admin = w.orgs.ext!.admin;
    const url = `/api/v1/datasets/${w.datasets.cams}`;
    const grant = `${url}/sharing/users/${pat!.id}`;
    const refused = await admin.put(grant, { level: 'read' });
    expectError(refused, 409, 'external_sharing_disabled');
    expect((await admin.get(`${url}/sharing`)).body.users.map((g: { user: { id: string } }) => g.user.id)).toEqual([admin.id]);
    expectError(await pat!.get(url), 404, 'not_found');

    await admin.patch(url, { visibility: 'external' });
    const set = await admin.put(grant, { level: 'annotate' });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ user: pat!.user, level: 'annotate', external: true, active: true });
    expect((await pat!.get(url)).body.myLevel).toBe('annotate');

    await admin.patch(url, { visibility: 'organization' });
    const dormant = (await admin.get(`${url}/sharing`)).body.users.find((g: { user: { id: string } }) => g.user.id === pat!.id);
    expect(dormant).toMatchObject({ level: 'annotate', external: true, active: false });
    expectError(await pat!.get(url), 404, 'not_found');
    expect((await pat!.get('/api/v1/datasets')).body.items.map((d: { id: string }) => d.id)).toEqual([w.datasets.open]);
    expectError(await admin.put(grant, { level: 'write' }), 409, 'external_sharing_disabled');

    await admin.patch(url, { visibility: 'external' });
    expect((await admin.get(`${url}/sharing`)).body.users).toContainEqual(expect.objectContaining({ user: pat!.user, active: true }));
    expect((await pat!.get(url)).body.myLevel).toBe('annotate');
    for (const query of ['', `?orgId=${w.orgs.ext!.id}`]) {
      expect((await pat!.get(`/api/v1/datasets${query}`)).body.items.map((d: { id: string }) => d.id).sort()).toEqual(
        [w.datasets.cams, w.datasets.open].sort(),
      );
    }
    for (const query of ['?minLevel=annotate', '?q=CAM']) {
      expect((await pat!.get(`/api/v1/datasets${query}`)).body.items.map((d: { id: string }) => d.id)).toEqual([w.datasets.cams]);
    }
    expect((await pat!.get('/api/v1/datasets?minLevel=write')).body.items).toEqual([]);
  });

  it('grants, changes and revokes a team’s level; a team of another org is 404', async () => {
    const w = await world(server)
      .org('other')
      .team('foreign')
      .org('teams')
      .member('ann')
      .member('wes')
      .outsider('eve')
      .team('labelers', ['ann'])
      .dataset('cams')
      .grant('cams', 'wes', 'write')
      .build();
    const { ann, wes, eve } = people(w);
    const admin = w.orgs.teams!.admin;
    const url = `/api/v1/datasets/${w.datasets.cams}`;
    const grant = `${url}/sharing/teams/${w.teams.labelers}`;
    const set = await admin.put(grant, { level: 'write' });
    expect(set.status).toBe(200);
    expect(set.body).toEqual({ team: { id: w.teams.labelers, name: 'labelers' }, level: 'write', expiresAt: null });
    expect((await ann!.get(url)).body.myLevel).toBe('write');
    expect((await admin.put(grant, { level: 'read' })).body.level).toBe('read');
    expect((await ann!.get(url)).body.myLevel).toBe('read');

    expectError(await admin.put(`${url}/sharing/teams/${w.teams.foreign}`, { level: 'admin' }), 404, 'not_found');
    expectError(await w.orgs.other!.admin.put(`${url}/sharing/teams/${w.teams.foreign}`, { level: 'admin' }), 404, 'not_found');
    expectError(await admin.put(`${url}/sharing/teams/team_nope`, { level: 'read' }), 404, 'not_found');
    expectError(await wes!.put(grant, { level: 'admin' }), 403, 'forbidden');
    expectError(await wes!.delete(grant), 403, 'forbidden');
    expectError(await eve!.put(grant, { level: 'admin' }), 404, 'not_found');
    expectError(await eve!.delete(grant), 404, 'not_found');
    expectError(await new Actor(server.app).delete(grant), 401, 'unauthenticated');
    expectError(await admin.put(grant, { level: 'everything' }), 400, 'invalid_request');
    expect((await admin.get(`${url}/sharing`)).body.teams.map((t: { team: { id: string } }) => t.team.id)).toEqual([w.teams.labelers]);

    expect((await admin.delete(grant)).status).toBe(204);
    expectError(await ann!.get(url), 404, 'not_found');
    expect((await admin.get(`${url}/sharing`)).body.teams).toEqual([]);
  });

  it('ends a time-boxed grant at the exact instant of its expiry, direct and team alike', async () => {
    const w = await world(server).org('timed').member('ann').member('bob').team('night', ['bob']).dataset('cams').build();
    const { ann, bob } = people(w);
    const admin = w.orgs.timed!.admin;
    const url = `/api/v1/datasets/${w.datasets.cams}`;
    const until = server.clock.now() + HOUR;
    const direct = await admin.put(`${url}/sharing/users/${ann!.id}`, { level: 'write', expiresAt: iso(until) });
    expect(direct.body).toMatchObject({ level: 'write', expiresAt: iso(until) });
    const team = await admin.put(`${url}/sharing/teams/${w.teams.night}`, { level: 'annotate', expiresAt: iso(until) });
    expect(team.body).toMatchObject({ level: 'annotate', expiresAt: iso(until) });
    expectError(
      await admin.put(`${url}/sharing/users/${ann!.id}`, { level: 'read', expiresAt: iso(server.clock.now()) }),
      400,
      'invalid_request',
    );
    expectError(await admin.put(`${url}/sharing/teams/${w.teams.night}`, { level: 'read', expiresAt: 'tomorrow' }), 400, 'invalid_request');

    server.clock.set(until - 1);
    expect((await ann!.get(url)).body.myLevel).toBe('write');
    expect((await bob!.get(url)).body.myLevel).toBe('annotate');
    expect((await ann!.get('/api/v1/datasets')).body.items).toHaveLength(1);

    server.clock.set(until);
    expectError(await ann!.get(url), 404, 'not_found');
    expectError(await bob!.get(url), 404, 'not_found');
    expect((await ann!.get('/api/v1/datasets')).body.items).toEqual([]);
    expect((await bob!.get('/api/v1/datasets')).body.items).toEqual([]);
    const sharing = (await admin.get(`${url}/sharing`)).body;
    expect(sharing.users.map((g: { user: { id: string } }) => g.user.id)).toEqual([admin.id]);
    expect(sharing.teams).toEqual([]);

    // A new grant without expiry replaces the lapsed one.
    expect((await admin.put(`${url}/sharing/users/${ann!.id}`, { level: 'read' })).body.expiresAt).toBeNull();
    expect((await ann!.get(url)).body.myLevel).toBe('read');
  });
});
