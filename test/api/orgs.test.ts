import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Actor, type Response, signUp } from '../helpers/client.js';
import { DATABASES } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { joinOrg, mailedToken, type World, world } from '../helpers/world.js';
import { expectError } from './errors.js';

describe.each(DATABASES)('organizations and members over HTTP (%s)', (db) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ db });
  });
  afterAll(async () => {
    await server.close();
  });

  const people = (w: World) => w.users as Record<string, Actor>;
  /** What an org admin and a member may do on their organization, by the policy. */
  const ADMIN_ACTIONS = [
    'org.read',
    'org.createDataset',
    'org.createSharedDataset',
    'org.manageProjects',
    'org.manageMembers',
    'org.removeMember',
    'org.manageInvitations',
    'org.manageTeams',
    'org.readAudit',
    'org.exportAudit',
    'org.reviewAccess',
    'org.manageWebhooks',
    'org.manageProvisioning',
  ];
  const MEMBER_ACTIONS = ['org.read', 'org.createDataset', 'org.manageProjects'];

  it('creates an organization whose creator is its admin; anonymous callers get 401, blank names 400', async () => {
    const ann = await signUp(server.app, 'Ann');
    const created = await ann.post('/api/v1/orgs', { name: '  Acme  ' });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ id: expect.any(String), name: 'Acme', allowedActions: ADMIN_ACTIONS });
    expect((await ann.get(`/api/v1/orgs/${created.body.id}`)).body).toEqual({
      id: created.body.id,
      name: 'Acme',
      role: 'admin',
      allowedActions: ADMIN_ACTIONS,
    });
    const members = await ann.get(`/api/v1/orgs/${created.body.id}/members`);
    expect(members.body).toEqual({
      items: [{ user: ann.user, role: 'admin', processDatasets: true, joinedAt: expect.any(String) }],
      nextCursor: null,
    });
    expectError(await new Actor(server.app).post('/api/v1/orgs', { name: 'Nope' }), 401, 'unauthenticated');
    expectError(await ann.post('/api/v1/orgs', { name: '   ' }), 400, 'invalid_request');
    expectError(await ann.post('/api/v1/orgs', {}), 400, 'invalid_request');
  });

  it('shows an organization and its members to members only; outsiders and unknown ids get 404', async () => {
    const w = await world(server).org('acme').member('ann').outsider('eve').build();
    const { ann, eve } = people(w);
    const org = w.orgs.acme!;
    expect((await ann!.get(`/api/v1/orgs/${org.id}`)).body).toEqual({
      id: org.id,
      name: 'acme',
      role: 'member',
      allowedActions: MEMBER_ACTIONS,
    });
    const listed = await ann!.get(`/api/v1/orgs/${org.id}/members`);
    expect(listed.body.items.map((m: { user: { id: string }; role: string }) => [m.user.id, m.role])).toEqual(
      expect.arrayContaining([
        [org.admin.id, 'admin'],
        [ann!.id, 'member'],
      ]),
    );
    expectError(await eve!.get(`/api/v1/orgs/${org.id}`), 404, 'not_found');
    expectError(await eve!.get(`/api/v1/orgs/${org.id}/members`), 404, 'not_found');
    expectError(await ann!.get('/api/v1/orgs/org_doesnotexist'), 404, 'not_found');
    expectError(await new Actor(server.app).get(`/api/v1/orgs/${org.id}`), 401, 'unauthenticated');
    expectError(await new Actor(server.app).get(`/api/v1/orgs/${org.id}/members`), 401, 'unauthenticated');
  });

  it('pages members by name without duplicates or gaps, and filters them by q', async () => {
    const names = ['m-alpha', 'm-bravo', 'm-charlie', 'm-delta', 'm-echo'];
    let builder = world(server).org('paged');
    for (const n of names) builder = builder.member(n);
    const w = await builder.build();
    const admin = w.orgs.paged!.admin;
    const base = `/api/v1/orgs/${w.orgs.paged!.id}/members`;
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: Response = await admin.get(`${base}?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.items.map((m: { user: { name: string } }) => m.user.name));
      cursor = res.body.nextCursor;
      pages += 1;
    } while (cursor && pages < 10);
    expect(seen).toEqual(['m-alpha', 'm-bravo', 'm-charlie', 'm-delta', 'm-echo', 'paged-admin']);
    expect(pages).toBe(3);
    expect((await admin.get(`${base}?q=CHAR`)).body.items.map((m: { user: { name: string } }) => m.user.name)).toEqual(['m-charlie']);
    expectError(await admin.get(`${base}?limit=0`), 400, 'invalid_request');
    expectError(await admin.get(`${base}?limit=201`), 400, 'invalid_request');
    expectError(await admin.get(`${base}?cursor=not-a-cursor`), 400, 'invalid_request');
  });

  it('searches members with "_" and "%" taken literally', async () => {
    const w = await world(server).org('literal').member('pct_under').member('pctXunder').member('100%sure').build();
    const { id, admin } = w.orgs.literal!;
    const names = async (q: string) =>
      (await admin.get(`/api/v1/orgs/${id}/members?q=${encodeURIComponent(q)}`)).body.items.map(
        (m: { user: { name: string } }) => m.user.name,
      );
    expect(await names('t_u')).toEqual(['pct_under']);
    expect(await names('0%')).toEqual(['100%sure']);
    expect(await names('PCT')).toEqual(['pctXunder', 'pct_under']);
  });

  it('lets an org admin change roles and capabilities; members get 403, outsiders 404', async () => {
    const w = await world(server).org('roles').member('ann').member('bob').outsider('eve').build();
    const { ann, bob, eve } = people(w);
    const { id, admin } = w.orgs.roles!;
    const url = `/api/v1/orgs/${id}/members/${ann!.id}`;
    const capable = await admin.patch(url, { processDatasets: true });
    expect(capable.status).toBe(200);
    expect(capable.body).toEqual({ user: ann!.user, role: 'member', processDatasets: true, joinedAt: expect.any(String) });
    expect((await admin.patch(url, { role: 'admin' })).body).toMatchObject({ role: 'admin', processDatasets: true });
    expect((await ann!.get(`/api/v1/orgs/${id}`)).body.role).toBe('admin');

    expectError(await bob!.patch(url, { role: 'member' }), 403, 'forbidden');
    expectError(await bob!.patch(`/api/v1/orgs/${id}/members/${bob!.id}`, { role: 'admin' }), 403, 'forbidden');
    expectError(await eve!.patch(url, { role: 'member' }), 404, 'not_found');
    expectError(await new Actor(server.app).patch(url, { role: 'member' }), 401, 'unauthenticated');
    expectError(await admin.patch(`/api/v1/orgs/${id}/members/${eve!.id}`, { role: 'admin' }), 404, 'not_found');
    expectError(await admin.patch(url, {}), 400, 'invalid_request');
    expectError(await admin.patch(url, { role: 'owner' }), 400, 'invalid_request');
    expectError(await admin.patch(url, { processDatasets: 'yes' }), 400, 'invalid_request');
    expect((await admin.get(`/api/v1/orgs/${id}/members?q=bob`)).body.items[0]).toMatchObject({ role: 'member', processDatasets: false });
  });

  it('refuses with 409 last_admin to demote or remove the only admin, and allows it once another admin exists', async () => {
    const w = await world(server).org('solo').member('ann').build();
    const { ann } = people(w);
    const { id, admin } = w.orgs.solo!;
    expectError(await admin.patch(`/api/v1/orgs/${id}/members/${admin.id}`, { role: 'member' }), 409, 'last_admin');
    expectError(await admin.delete(`/api/v1/orgs/${id}/members/${admin.id}`), 409, 'last_admin');
    expect((await admin.get(`/api/v1/orgs/${id}`)).body.role).toBe('admin');

    await admin.patch(`/api/v1/orgs/${id}/members/${ann!.id}`, { role: 'admin' });
    expect((await admin.patch(`/api/v1/orgs/${id}/members/${admin.id}`, { role: 'member' })).body.role).toBe('member');
    expectError(await ann!.delete(`/api/v1/orgs/${id}/members/${ann!.id}`), 409, 'last_admin');
    expectError(await ann!.patch(`/api/v1/orgs/${id}/members/${ann!.id}`, { role: 'member' }), 409, 'last_admin');
    expect((await ann!.delete(`/api/v1/orgs/${id}/members/${admin.id}`)).status).toBe(204);
    expectError(await admin.get(`/api/v1/orgs/${id}`), 404, 'not_found');
  });

  it('keeps one admin when two admins demote each other or leave at the same moment', async () => {
    const w = await world(server).org('duel').member('ann', 'admin').build();
    const { ann } = people(w);
    const { id, admin } = w.orgs.duel!;
    const demotions = await Promise.all([
      admin.patch(`/api/v1/orgs/${id}/members/${ann!.id}`, { role: 'member' }),
      ann!.patch(`/api/v1/orgs/${id}/members/${admin.id}`, { role: 'member' }),
    ]);
    // Whichever goes second is either no longer an admin (403) or the last one (409).
    expect(demotions.map((r) => r.status).sort()).toEqual([200, expect.toBeOneOf([403, 409])]);
    const admins = async () =>
      (await admin.get(`/api/v1/orgs/${id}/members`)).body.items.filter((m: { role: string }) => m.role === 'admin').length;
    expect(await admins()).toBe(1);

    const [winner, loser] = demotions[0]!.status === 200 ? [admin, ann!] : [ann!, admin];
    expect((await winner.patch(`/api/v1/orgs/${id}/members/${loser.id}`, { role: 'admin' })).status).toBe(200);
    expect(await admins()).toBe(2);
    const departures = await Promise.all([admin, ann!].map((a) => a.delete(`/api/v1/orgs/${id}/members/${a.id}`)));
    expect(departures.map((r) => r.status).sort()).toEqual([204, 409]);
    const stayer = departures[0]!.status === 409 ? admin : ann!;
    expect((await stayer.get(`/api/v1/orgs/${id}`)).body.role).toBe('admin');
  });

  it('lets a member leave, but not remove others; outsiders get 404', async () => {
    const w = await world(server).org('leave').member('ann').member('bob').outsider('eve').build();
    const { ann, bob, eve } = people(w);
    const { id, admin } = w.orgs.leave!;
    expectError(await ann!.delete(`/api/v1/orgs/${id}/members/${bob!.id}`), 403, 'forbidden');
    expectError(await eve!.delete(`/api/v1/orgs/${id}/members/${bob!.id}`), 404, 'not_found');
    expectError(await eve!.delete(`/api/v1/orgs/${id}/members/${eve!.id}`), 404, 'not_found');
    expectError(await new Actor(server.app).delete(`/api/v1/orgs/${id}/members/${bob!.id}`), 401, 'unauthenticated');
    expect((await bob!.get(`/api/v1/orgs/${id}`)).status).toBe(200);

    expect((await ann!.delete(`/api/v1/orgs/${id}/members/${ann!.id}`)).status).toBe(204);
    expectError(await ann!.get(`/api/v1/orgs/${id}`), 404, 'not_found');
    expect((await ann!.get('/api/v1/me')).body.organizations).toEqual([]);
    expect((await admin.delete(`/api/v1/orgs/${id}/members/${bob!.id}`)).status).toBe(204);
    expectError(await admin.delete(`/api/v1/orgs/${id}/members/${bob!.id}`), 404, 'not_found');
    expect((await admin.get(`/api/v1/orgs/${id}/members`)).body.items.map((m: { user: { id: string } }) => m.user.id)).toEqual([admin.id]);
  });

  it('drops a removed member from the org’s teams, and their team and tier access ends on the next request', async () => {
    const w = await world(server)
      .org('teams-go')
      .member('ann')
      .team('labelers', ['ann'])
      .dataset('cams', { tier: 'admins' })
      .dataset('maps', { tier: 'organization' })
      .teamGrant('cams', 'labelers', 'write')
      .build();
    const { ann } = people(w);
    const { id, admin } = w.orgs['teams-go']!;
    expect((await ann!.get(`/api/v1/datasets/${w.datasets.cams}`)).body.myLevel).toBe('write');
    expect((await ann!.get(`/api/v1/datasets/${w.datasets.maps}`)).body.myLevel).toBe('read');

    expect((await admin.delete(`/api/v1/orgs/${id}/members/${ann!.id}`)).status).toBe(204);
    expectError(await ann!.get(`/api/v1/datasets/${w.datasets.cams}`), 404, 'not_found');
    expectError(await ann!.get(`/api/v1/datasets/${w.datasets.maps}`), 404, 'not_found');
    expect((await ann!.get('/api/v1/datasets')).body.items).toEqual([]);
    expect((await admin.get(`/api/v1/teams/${w.teams.labelers}`)).body.members).toEqual([]);

    // Joining again does not bring the old team membership back.
    await joinOrg(server, admin, id, ann!);
    expect((await admin.get(`/api/v1/orgs/${id}/teams`)).body.items).toEqual([{ id: w.teams.labelers, name: 'labelers', memberCount: 0 }]);
    expectError(await ann!.get(`/api/v1/datasets/${w.datasets.cams}`), 404, 'not_found');
  });
  it('lists the open invitations to join to org admins, newest first, as they are accepted, declined, revoked and expire', async () => {
    const w = await world(server).org('hiring').member('ann').outsider('eve').build();
    const { ann, eve } = people(w);
    const { id, admin } = w.orgs.hiring!;
    const list = async () =>
      ((await admin.get(`/api/v1/orgs/${id}/invitations`)).body.items as { email: string; status: string; role: string }[]).map(
        (i) => `${i.email} ${i.role} ${i.status}`,
      );
    expect(await list()).toEqual([]);

    expect((await admin.post(`/api/v1/orgs/${id}/invitations`, { emails: ['old@x.test'], role: 'member' })).status).toBe(201);
    server.clock.advance(60 * 60 * 1000);
    const sent = await admin.post(`/api/v1/orgs/${id}/invitations`, { emails: ['lead@x.test', 'no@x.test', 'gone@x.test'], role: 'admin' });
    expect(sent.status).toBe(201);
    const { items } = (await admin.get(`/api/v1/orgs/${id}/invitations`)).body;
    expect(items[0]).toMatchObject({ kind: 'org', orgId: id, role: 'admin', status: 'pending', invitedBy: { id: admin.id } });
    expect(items[0]).not.toHaveProperty('token');
    expect((await list()).at(-1)).toBe('old@x.test member pending');

    expect(
      (
        await server.app.inject({
          method: 'POST',
          url: '/api/v1/invitations/decline',
          payload: { token: await mailedToken(server, 'no@x.test') },
        })
      ).statusCode,
    ).toBe(204);
    const gone = sent.body.items.find((i: { email: string }) => i.email === 'gone@x.test');
    expect((await admin.delete(`/api/v1/invitations/${gone.id}`)).status).toBe(204);
    const lead = await signUp(server.app, 'Lead', 'lead@x.test');
    expect((await lead.post('/api/v1/invitations/accept', { token: await mailedToken(server, 'lead@x.test') })).status).toBe(200);
    expect((await list()).sort()).toEqual(['no@x.test admin declined', 'old@x.test member pending']);

    server.clock.advance(71 * 60 * 60 * 1000);
    expect(await list()).toContain('old@x.test member expired');

    expectError(await ann!.get(`/api/v1/orgs/${id}/invitations`), 403, 'forbidden');
    expectError(await eve!.get(`/api/v1/orgs/${id}/invitations`), 404, 'not_found');
    expectError(await new Actor(server.app).get(`/api/v1/orgs/${id}/invitations`), 401, 'unauthenticated');
  });
});
