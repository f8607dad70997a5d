import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Actor, signUp } from '../helpers/client.js';
import { DATABASES } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { world } from '../helpers/world.js';

describe.each(DATABASES)('organizations, members and teams (%s)', (db) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ db });
  });
  afterAll(async () => {
    await server.close();
  });

  it('creates an org with its creator as admin; only members can see it', async () => {
    const ada = await signUp(server.app, 'Ada');
    const created = await ada.post('/api/v1/orgs', { name: '  Survey Co  ' });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.stringMatching(/^org_/),
      name: 'Survey Co',
      allowedActions: expect.arrayContaining(['org.manageTeams']),
    });
    const orgId = created.body.id;
    expect((await ada.get(`/api/v1/orgs/${orgId}`)).body).toEqual({
      id: orgId,
      name: 'Survey Co',
      role: 'admin',
      allowedActions: created.body.allowedActions,
    });
    const members = await ada.get(`/api/v1/orgs/${orgId}/members`);
    expect(members.body).toEqual({
      items: [expect.objectContaining({ user: ada.user, role: 'admin', processDatasets: true })],
      nextCursor: null,
    });

    const stranger = await signUp(server.app, 'Stranger');
    expect((await stranger.get(`/api/v1/orgs/${orgId}`)).status).toBe(404);
    expect((await stranger.get(`/api/v1/orgs/${orgId}/members`)).status).toBe(404);
    expect((await new Actor(server.app).get(`/api/v1/orgs/${orgId}`)).status).toBe(401);
    expect((await new Actor(server.app).post('/api/v1/orgs', { name: 'x' })).status).toBe(401);
    expect((await ada.post('/api/v1/orgs', { name: '' })).status).toBe(400);
    expect((await ada.get('/api/v1/orgs/org_doesnotexist')).status).toBe(404);
  });

  it('pages members by name and searches them', async () => {
    const w = await world(server).org('acme').member('zed').member('bea').member('cy').build();
    const admin = w.orgs.acme!.admin;
    const orgId = w.orgs.acme!.id;
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { body: { items: { user: { name: string } }[]; nextCursor: string | null } } = await admin.get(
        `/api/v1/orgs/${orgId}/members?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      seen.push(...res.body.items.map((m) => m.user.name));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['acme-admin', 'bea', 'cy', 'zed']);
    expect((await admin.get(`/api/v1/orgs/${orgId}/members?q=ZE`)).body.items.map((m: { user: { name: string } }) => m.user.name)).toEqual([
      'zed',
    ]);
  });

  it('changes roles and capabilities, never leaving an org without an admin', async () => {
    const w = await world(server).org('acme').member('ann').member('bob').build();
    const admin = w.orgs.acme!.admin;
    const orgId = w.orgs.acme!.id;
    const ann = w.users.ann!;
    const bob = w.users.bob!;

    expect((await ann.patch(`/api/v1/orgs/${orgId}/members/${bob.id}`, { processDatasets: true })).status).toBe(403);
    const capable = await admin.patch(`/api/v1/orgs/${orgId}/members/${bob.id}`, { processDatasets: true });
    expect(capable.status).toBe(200);
    expect(capable.body).toMatchObject({ user: bob.user, role: 'member', processDatasets: true });
    expect((await bob.get('/api/v1/me')).body.organizations[0]).toMatchObject({ id: orgId, role: 'member', processDatasets: true });

    const lastAdmin = await admin.patch(`/api/v1/orgs/${orgId}/members/${admin.id}`, { role: 'member' });
    expect(lastAdmin.status).toBe(409);
    expect(lastAdmin.body.error.code).toBe('last_admin');
    expect((await admin.delete(`/api/v1/orgs/${orgId}/members/${admin.id}`)).body.error.code).toBe('last_admin');

    expect((await admin.patch(`/api/v1/orgs/${orgId}/members/${ann.id}`, { role: 'admin' })).body.role).toBe('admin');
    expect((await ann.patch(`/api/v1/orgs/${orgId}/members/${admin.id}`, { role: 'member' })).status).toBe(200);
    expect((await admin.get(`/api/v1/orgs/${orgId}`)).body.role).toBe('member');
    expect((await ann.patch(`/api/v1/orgs/${orgId}/members/usr_nobody`, { role: 'member' })).status).toBe(404);
    expect((await ann.patch(`/api/v1/orgs/${orgId}/members/${bob.id}`, {})).status).toBe(400);
    expect((await ann.patch(`/api/v1/orgs/${orgId}/members/${bob.id}`, { role: 'owner' })).status).toBe(400);
  });

  it('removes a member or lets them leave, dropping their teams and the access that came with them', async () => {
    const w = await world(server)
      .org('acme')
      .member('ann')
      .member('bob')
      .team('labelers', ['ann', 'bob'])
      .dataset('cams')
      .teamGrant('cams', 'labelers', 'annotate')
      .build();
    const admin = w.orgs.acme!.admin;
    const orgId = w.orgs.acme!.id;
    const [ann, bob] = [w.users.ann!, w.users.bob!];
    const url = `/api/v1/datasets/${w.datasets.cams}`;
    expect((await ann.get(url)).body.myLevel).toBe('annotate');

    expect((await bob.delete(`/api/v1/orgs/${orgId}/members/${ann.id}`)).status).toBe(403);
    expect((await admin.delete(`/api/v1/orgs/${orgId}/members/${ann.id}`)).status).toBe(204);
    expect((await ann.get(url)).status).toBe(404);
    expect((await ann.get(`/api/v1/orgs/${orgId}`)).status).toBe(404);
    expect((await admin.get(`/api/v1/teams/${w.teams.labelers}`)).body.members.map((m: { id: string }) => m.id)).toEqual([bob.id]);

    expect((await bob.delete(`/api/v1/orgs/${orgId}/members/${bob.id}`)).status).toBe(204);
    expect((await bob.get(url)).status).toBe(404);
    expect((await admin.get(`/api/v1/orgs/${w.orgs.acme!.id}/teams`)).body.items).toEqual([
      { id: w.teams.labelers, name: 'labelers', memberCount: 0 },
    ]);
  });

  it('manages teams: names unique per org, members from the org only, deletion drops grants', async () => {
    const w = await world(server).org('acme').member('ann').outsider('eve').dataset('cams').build();
    const admin = w.orgs.acme!.admin;
    const orgId = w.orgs.acme!.id;
    const ann = w.users.ann!;
    const created = await admin.post(`/api/v1/orgs/${orgId}/teams`, { name: 'Labelers' });
    expect(created.status).toBe(201);
    const teamId = created.body.id;
    expect((await admin.post(`/api/v1/orgs/${orgId}/teams`, { name: 'Labelers' })).body.error.code).toBe('team_name_taken');
    expect((await ann.post(`/api/v1/orgs/${orgId}/teams`, { name: 'Mine' })).status).toBe(403);
    expect((await w.users.eve!.get(`/api/v1/teams/${teamId}`)).status).toBe(404);

    expect((await admin.put(`/api/v1/teams/${teamId}/members/${ann.id}`)).status).toBe(204);
    expect((await admin.put(`/api/v1/teams/${teamId}/members/${ann.id}`)).status).toBe(204);
    const outsider = await admin.put(`/api/v1/teams/${teamId}/members/${w.users.eve!.id}`);
    expect(outsider.status).toBe(409);
    expect(outsider.body.error.code).toBe('not_a_member');
    expect((await ann.put(`/api/v1/teams/${teamId}/members/${admin.id}`)).status).toBe(403);
    expect((await ann.get(`/api/v1/teams/${teamId}`)).body).toEqual({ id: teamId, orgId, name: 'Labelers', members: [ann.user] });
    expect((await ann.get(`/api/v1/orgs/${orgId}/teams`)).body.items).toEqual([{ id: teamId, name: 'Labelers', memberCount: 1 }]);

    const second = await admin.post(`/api/v1/orgs/${orgId}/teams`, { name: 'Reviewers' });
    expect((await admin.patch(`/api/v1/teams/${second.body.id}`, { name: 'Labelers' })).status).toBe(409);
    expect((await admin.patch(`/api/v1/teams/${teamId}`, { name: 'Annotators' })).body).toEqual({ id: teamId, name: 'Annotators' });

    const url = `/api/v1/datasets/${w.datasets.cams}`;
    await admin.put(`${url}/sharing/teams/${teamId}`, { level: 'write' });
    expect((await ann.get(url)).body.myLevel).toBe('write');
    expect((await ann.delete(`/api/v1/teams/${teamId}`)).status).toBe(403);
    expect((await admin.delete(`/api/v1/teams/${teamId}/members/${ann.id}`)).status).toBe(204);
    expect((await ann.get(url)).status).toBe(404);
    await admin.put(`/api/v1/teams/${teamId}/members/${ann.id}`);
    expect((await admin.delete(`/api/v1/teams/${teamId}`)).status).toBe(204);
    expect((await ann.get(url)).status).toBe(404);
    expect((await admin.get(`${url}/sharing`)).body.teams).toEqual([]);
    expect((await admin.get(`/api/v1/teams/${teamId}`)).status).toBe(404);
  });

  it('writes nothing for a team change refused to a member, even one that would also clash', async () => {
    const w = await world(server).org('acme').member('ann').member('bob').build();
    const admin = w.orgs.acme!.admin;
    const orgId = w.orgs.acme!.id;
    const ann = w.users.ann!;
    const labelers = (await admin.post(`/api/v1/orgs/${orgId}/teams`, { name: 'Labelers' })).body.id;
    const reviewers = (await admin.post(`/api/v1/orgs/${orgId}/teams`, { name: 'Reviewers' })).body.id;
    await admin.put(`/api/v1/teams/${labelers}/members/${ann.id}`);
    const written = async () => ({
      teams: await server.ctx.db.selectFrom('teams').selectAll().where('org_id', '=', orgId).orderBy('id').execute(),
      members: await server.ctx.db
        .selectFrom('team_members')
        .select(['team_id', 'user_id'])
        .where('team_id', 'in', [labelers, reviewers])
        .orderBy('user_id')
        .execute(),
      events: await server.ctx.db.selectFrom('audit_events').select('id').where('org_id', '=', orgId).orderBy('id').execute(),
    });
    const before = await written();

    const refused = [
      await ann.post(`/api/v1/orgs/${orgId}/teams`, { name: 'Mine' }),
      // The name is taken too: the refusal comes first, as it did before the name was looked at.
      await ann.post(`/api/v1/orgs/${orgId}/teams`, { name: 'Labelers' }),
      await ann.patch(`/api/v1/teams/${reviewers}`, { name: 'Labelers' }),
      await ann.patch(`/api/v1/teams/${reviewers}`, { name: 'Renamed' }),
      await ann.put(`/api/v1/teams/${reviewers}/members/${w.users.bob!.id}`),
      await ann.delete(`/api/v1/teams/${labelers}/members/${ann.id}`),
      await ann.delete(`/api/v1/teams/${labelers}`),
    ];
    expect(refused.map((r) => [r.status, r.body.error.code])).toEqual(refused.map(() => [403, 'forbidden']));
    expect(await written()).toEqual(before);
  });
});
