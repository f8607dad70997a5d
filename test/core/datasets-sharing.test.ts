import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Actor, signUp } from '../helpers/client.js';
import { DATABASES } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { world } from '../helpers/world.js';

describe.each(DATABASES)('datasets, the inventory and sharing (%s)', (db) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ db });
  });
  afterAll(async () => {
    await server.close();
  });

  it('creates datasets private by default, with a revocable admin grant for the creator', async () => {
    const w = await world(server).org('acme').member('ann').build();
    const admin = w.orgs.acme!.admin;
    const ann = w.users.ann!;
    const orgId = w.orgs.acme!.id;
    const created = await ann.post(`/api/v1/orgs/${orgId}/datasets`, { name: 'Drone survey', description: 'Flights over the delta' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'Drone survey',
      description: 'Flights over the delta',
      orgId,
      visibility: 'admins',
      predecessorId: null,
      itemCount: 0,
      myLevel: 'admin',
    });
    expect((await ann.post(`/api/v1/orgs/${orgId}/datasets`, { name: 'Open', visibility: 'organization' })).status).toBe(403);
    expect((await admin.post(`/api/v1/orgs/${orgId}/datasets`, { name: 'Open', visibility: 'organization' })).body.visibility).toBe(
      'organization',
    );
    expect((await (await signUp(server.app, 'eve')).post(`/api/v1/orgs/${orgId}/datasets`, { name: 'x' })).status).toBe(404);
    expect((await admin.post(`/api/v1/orgs/${orgId}/datasets`, { name: 'x', visibility: 'public' })).status).toBe(400);

    const url = `/api/v1/datasets/${created.body.id}`;
    const sharing = await ann.get(`${url}/sharing`);
    expect(sharing.body.users).toEqual([
      expect.objectContaining({ user: ann.user, level: 'admin', external: false, active: true, grantedBy: { id: ann.id, name: 'ann' } }),
    ]);
    expect((await admin.delete(`${url}/sharing/users/${ann.id}`)).status).toBe(204);
    expect((await ann.get(url)).status).toBe(404);
  });

  it('gates every change by level: read views, write edits, org admins set the tier, admins delete', async () => {
    const w = await world(server)
      .org('acme')
      .member('reader')
      .member('annotator')
      .member('writer')
      .member('owner')
      .outsider('eve')
      .dataset('cams')
      .grant('cams', 'reader', 'read')
      .grant('cams', 'annotator', 'annotate')
      .grant('cams', 'writer', 'write')
      .grant('cams', 'owner', 'admin')
      .build();
    const u = w.users as Record<string, Actor>;
    const admin = w.orgs.acme!.admin;
    const url = `/api/v1/datasets/${w.datasets.cams}`;

    expect((await u.reader!.get(url)).body.myLevel).toBe('read');
    expect((await u.eve!.get(url)).status).toBe(404);
    expect((await new Actor(server.app).get(url)).status).toBe(401);
    expect((await u.annotator!.patch(url, { name: 'renamed' })).status).toBe(403);
    expect((await u.eve!.patch(url, { name: 'renamed' })).status).toBe(404);
    const renamed = await u.writer!.patch(url, { name: 'Cameras', description: 'Street cameras' });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ name: 'Cameras', description: 'Street cameras', myLevel: 'write' });
    expect((await u.owner!.patch(url, { visibility: 'external' })).status).toBe(403);
    expect((await u.owner!.patch(url, { name: 'Cams', visibility: 'external' })).status).toBe(403);
    expect((await u.reader!.get(url)).body.name).toBe('Cameras');
    expect((await admin.patch(url, { visibility: 'organization' })).body.visibility).toBe('organization');
    expect((await u.writer!.delete(url)).status).toBe(403);
    expect((await u.owner!.get(`${url}/sharing`)).status).toBe(200);
    expect((await u.writer!.get(`${url}/sharing`)).status).toBe(403);
    expect((await u.owner!.delete(url)).status).toBe(204);
    expect((await u.owner!.get(url)).status).toBe(404);
    expect((await admin.get(url)).status).toBe(404);
    expect((await admin.get(`${url}/sharing`)).status).toBe(404);
  });

  it('lists the inventory by name with my level and teams, filtered and paged without gaps', async () => {
    const w = await world(server)
      .org('acme')
      .member('ann')
      .team('labelers', ['ann'])
      .dataset('delta', { tier: 'organization' })
      .dataset('alpha')
      .dataset('Charlie')
      .dataset('bravo', { tier: 'external' })
      .dataset('echo')
      .teamGrant('alpha', 'labelers', 'write')
      .grant('Charlie', 'ann', 'admin')
      .org('other')
      .dataset('foxtrot')
      .build();
    const ann = w.users.ann!;
    const other = w.orgs.other!;
    await other.admin.post(`/api/v1/orgs/${other.id}/invitations`, { emails: [ann.user.email], role: 'member' });
    const names = (body: { items: { name: string }[] }) => body.items.map((d) => d.name);

    const all = await ann.get('/api/v1/datasets');
    expect(names(all.body)).toEqual(['alpha', 'bravo', 'Charlie', 'delta']);
    expect(all.body.items[0]).toMatchObject({
      myLevel: 'write',
      orgName: 'acme',
      teams: [{ id: w.teams.labelers, name: 'labelers', level: 'write' }],
    });
    expect(names((await ann.get('/api/v1/datasets?minLevel=write')).body)).toEqual(['alpha', 'Charlie']);
    expect(names((await ann.get('/api/v1/datasets?minLevel=admin')).body)).toEqual(['Charlie']);
    expect(names((await ann.get('/api/v1/datasets?q=LT')).body)).toEqual(['delta']);
    expect(names((await ann.get(`/api/v1/datasets?orgId=${other.id}`)).body)).toEqual([]);
    expect(names((await other.admin.get(`/api/v1/datasets?orgId=${other.id}`)).body)).toEqual(['foxtrot']);

    const admin = w.orgs.acme!.admin;
    const paged: string[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 10; i += 1) {
      const page: { body: { items: { name: string }[]; nextCursor: string | null } } = await admin.get(
        `/api/v1/datasets?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      paged.push(...names(page.body));
      cursor = page.body.nextCursor;
      if (!cursor) break;
    }
    expect(paged).toEqual(['alpha', 'bravo', 'Charlie', 'delta', 'echo']);
    expect((await admin.get('/api/v1/datasets?limit=0')).status).toBe(400);
    expect((await admin.get('/api/v1/datasets?limit=201')).status).toBe(400);
    expect((await admin.get('/api/v1/datasets?cursor=bm9wZQ')).status).toBe(400);
    expect((await admin.get('/api/v1/datasets?minLevel=owner')).status).toBe(400);
    expect((await new Actor(server.app).get('/api/v1/datasets')).status).toBe(401);
  });

  it('sets and revokes user and team grants within the rules of the tier and the org', async () => {
    // Eve is an outside partner already holding a grant in the org: an id alone reaches nobody else.
    const w = await world(server)
      .org('acme')
      .member('ann')
      .outsider('eve')
      .team('labelers', ['ann'])
      .dataset('cams')
      .dataset('open', { tier: 'external' })
      .invite('open', 'eve', 'read')
      .org('other')
      .build();
    const acme = w.orgs.acme!;
    const url = `/api/v1/datasets/${w.datasets.cams}`;
    const [ann, eve] = [w.users.ann!, w.users.eve!];

    const grant = await acme.admin.put(`${url}/sharing/users/${ann.id}`, { level: 'annotate' });
    expect(grant.status).toBe(200);
    expect(grant.body).toMatchObject({
      user: ann.user,
      level: 'annotate',
      external: false,
      active: true,
      expiresAt: null,
      grantedBy: { id: acme.admin.id },
    });
    expect((await ann.put(`${url}/sharing/users/${ann.id}`, { level: 'admin' })).status).toBe(403);
    expect((await acme.admin.put(`${url}/sharing/users/usr_nobody`, { level: 'read' })).status).toBe(404);
    expect((await acme.admin.put(`${url}/sharing/users/${ann.id}`, { level: 'owner' })).status).toBe(400);

    const closed = await acme.admin.put(`${url}/sharing/users/${eve.id}`, { level: 'read' });
    expect(closed.status).toBe(409);
    expect(closed.body.error.code).toBe('external_sharing_disabled');
    await acme.admin.patch(url, { visibility: 'external' });
    expect((await acme.admin.put(`${url}/sharing/users/${eve.id}`, { level: 'read' })).body).toMatchObject({
      external: true,
      active: true,
    });
    expect((await eve.get(url)).body.myLevel).toBe('read');
    await acme.admin.patch(url, { visibility: 'organization' });
    expect((await eve.get(url)).status).toBe(404);
    const dormant = (await acme.admin.get(`${url}/sharing`)).body.users.find((g: { user: { id: string } }) => g.user.id === eve.id);
    expect(dormant).toMatchObject({ external: true, active: false });

    const otherTeam = await w.orgs.other!.admin.post(`/api/v1/orgs/${w.orgs.other!.id}/teams`, { name: 'theirs' });
    expect((await acme.admin.put(`${url}/sharing/teams/${otherTeam.body.id}`, { level: 'read' })).status).toBe(404);
    const teamGrant = await acme.admin.put(`${url}/sharing/teams/${w.teams.labelers}`, { level: 'write' });
    expect(teamGrant.body).toEqual({ team: { id: w.teams.labelers, name: 'labelers' }, level: 'write', expiresAt: null });
    expect((await ann.get(url)).body.myLevel).toBe('write');
    expect((await acme.admin.get(`${url}/sharing`)).body.teams).toEqual([
      expect.objectContaining({ team: { id: w.teams.labelers, name: 'labelers', memberCount: 1 }, level: 'write' }),
    ]);
    expect((await acme.admin.delete(`${url}/sharing/teams/${w.teams.labelers}`)).status).toBe(204);
    expect((await ann.get(url)).body.myLevel).toBe('annotate');
    expect((await acme.admin.delete(`${url}/sharing/users/${ann.id}`)).status).toBe(204);
    expect((await ann.get(url)).body.myLevel).toBe('read');
    expect((await ann.delete(`${url}/sharing/users/${acme.admin.id}`)).status).toBe(403);
    expect((await eve.delete(`${url}/sharing/users/${ann.id}`)).status).toBe(404);
  });
});
