import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Actor } from '../helpers/client.js';
import { DATABASES } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { type World, world } from '../helpers/world.js';
import { expectError } from './errors.js';

describe.each(DATABASES)('teams over HTTP (%s)', (db) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ db });
  });
  afterAll(async () => {
    await server.close();
  });

  const people = (w: World) => w.users as Record<string, Actor>;

  it('lets an org admin create teams; 409 team_name_taken, 403 for members, 404 for outsiders', async () => {
    const w = await world(server).org('acme').member('ann').outsider('eve').build();
    const { ann, eve } = people(w);
    const { id, admin } = w.orgs.acme!;
    const url = `/api/v1/orgs/${id}/teams`;
    const created = await admin.post(url, { name: ' labelers ' });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ id: expect.any(String), name: 'labelers' });
    expectError(await admin.post(url, { name: 'labelers' }), 409, 'team_name_taken');
    expectError(await ann!.post(url, { name: 'rogue' }), 403, 'forbidden');
    expectError(await eve!.post(url, { name: 'rogue' }), 404, 'not_found');
    expectError(await new Actor(server.app).post(url, { name: 'rogue' }), 401, 'unauthenticated');
    expectError(await admin.post(url, { name: '  ' }), 400, 'invalid_request');
    expectError(await admin.post('/api/v1/orgs/org_nope/teams', { name: 'x' }), 404, 'not_found');
    expect((await admin.get(url)).body).toEqual({ items: [{ id: created.body.id, name: 'labelers', memberCount: 0 }], nextCursor: null });

    // The same name in another organization is no conflict.
    const other = await world(server).org('other').build();
    expect((await other.orgs.other!.admin.post(`/api/v1/orgs/${other.orgs.other!.id}/teams`, { name: 'labelers' })).status).toBe(201);
  });

  it('lists teams and shows a team with its members to members of the org only', async () => {
    const w = await world(server)
      .org('list')
      .member('ann')
      .member('bob')
      .outsider('eve')
      .team('b-team', ['ann', 'bob'])
      .team('a-team')
      .build();
    const { ann, eve } = people(w);
    const { id } = w.orgs.list!;
    expect((await ann!.get(`/api/v1/orgs/${id}/teams`)).body.items).toEqual([
      { id: w.teams['a-team'], name: 'a-team', memberCount: 0 },
      { id: w.teams['b-team'], name: 'b-team', memberCount: 2 },
    ]);
    const team = await ann!.get(`/api/v1/teams/${w.teams['b-team']}`);
    expect(team.status).toBe(200);
    expect(team.body).toMatchObject({ id: w.teams['b-team'], name: 'b-team' });
    expect(team.body.members.map((u: { name: string }) => u.name)).toEqual(['ann', 'bob']);
    expectError(await eve!.get(`/api/v1/orgs/${id}/teams`), 404, 'not_found');
    expectError(await eve!.get(`/api/v1/teams/${w.teams['b-team']}`), 404, 'not_found');
    expectError(await ann!.get('/api/v1/teams/team_nope'), 404, 'not_found');
    expectError(await new Actor(server.app).get(`/api/v1/teams/${w.teams['b-team']}`), 401, 'unauthenticated');
    expectError(await new Actor(server.app).get(`/api/v1/orgs/${id}/teams`), 401, 'unauthenticated');
  });

  it('renames a team (admin only); a taken name is 409 and renaming keeps its grants', async () => {
    const w = await world(server)
      .org('rename')
      .member('ann')
      .outsider('eve')
      .team('labelers', ['ann'])
      .team('reviewers')
      .dataset('cams')
      .teamGrant('cams', 'labelers', 'annotate')
      .build();
    const { ann, eve } = people(w);
    const admin = w.orgs.rename!.admin;
    const url = `/api/v1/teams/${w.teams.labelers}`;
    const renamed = await admin.patch(url, { name: 'annotators' });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toEqual({ id: w.teams.labelers, name: 'annotators' });
    expect((await admin.patch(url, { name: 'annotators' })).status).toBe(200);
    expectError(await admin.patch(url, { name: 'reviewers' }), 409, 'team_name_taken');
    expectError(await ann!.patch(url, { name: 'mine' }), 403, 'forbidden');
    expectError(await eve!.patch(url, { name: 'mine' }), 404, 'not_found');
    expectError(await new Actor(server.app).patch(url, { name: 'mine' }), 401, 'unauthenticated');
    expectError(await admin.patch(url, { name: 42 }), 400, 'invalid_request');
    expect((await ann!.get(url)).body.name).toBe('annotators');
    expect((await ann!.get(`/api/v1/datasets/${w.datasets.cams}`)).body.myLevel).toBe('annotate');
  });

  it('answers racing creates and renames to one name with one success and 409s, never a 500', async () => {
    const w = await world(server).org('race').team('a').team('b').team('c').build();
    const { id, admin } = w.orgs.race!;
    const renames = await Promise.all(['a', 'b', 'c'].map((t) => admin.patch(`/api/v1/teams/${w.teams[t]}`, { name: 'same' })));
    expect(renames.map((r) => r.status).sort()).toEqual([200, 409, 409]);
    for (const r of renames.filter((x) => x.status === 409)) expectError(r, 409, 'team_name_taken');
    const creates = await Promise.all([1, 2, 3].map(() => admin.post(`/api/v1/orgs/${id}/teams`, { name: 'fresh' })));
    expect(creates.map((r) => r.status).sort()).toEqual([201, 409, 409]);
    const names = (await admin.get(`/api/v1/orgs/${id}/teams`)).body.items.map((t: { name: string }) => t.name);
    expect(names.sort()).toEqual(['fresh', 'same', ...['a', 'b', 'c'].filter((t) => names.includes(t))].sort());
    expect(names).toHaveLength(4);
  });

  it('deletes a team (admin only) with its grants: its members lose that access on the next request', async () => {
    const w = await world(server)
      .org('delete')
      .member('ann')
      .outsider('eve')
      .team('labelers', ['ann'])
      .dataset('cams')
      .teamGrant('cams', 'labelers', 'write')
      .build();
    const { ann, eve } = people(w);
    const admin = w.orgs.delete!.admin;
    const url = `/api/v1/teams/${w.teams.labelers}`;
    expectError(await ann!.delete(url), 403, 'forbidden');
    expectError(await eve!.delete(url), 404, 'not_found');
    expectError(await new Actor(server.app).delete(url), 401, 'unauthenticated');
    expect((await ann!.get(`/api/v1/datasets/${w.datasets.cams}`)).body.myLevel).toBe('write');

    expect((await admin.delete(url)).status).toBe(204);
    expectError(await ann!.get(`/api/v1/datasets/${w.datasets.cams}`), 404, 'not_found');
    expect((await admin.get(`/api/v1/datasets/${w.datasets.cams}/sharing`)).body.teams).toEqual([]);
    expectError(await admin.get(url), 404, 'not_found');
    expectError(await admin.delete(url), 404, 'not_found');
    // A new team of the same name starts with nothing.
    const again = await admin.post(`/api/v1/orgs/${w.orgs.delete!.id}/teams`, { name: 'labelers' });
    await admin.put(`/api/v1/teams/${again.body.id}/members/${ann!.id}`);
    expectError(await ann!.get(`/api/v1/datasets/${w.datasets.cams}`), 404, 'not_found');
  });

  it('adds org members to a team (admin only); 409 not_a_member for anyone else', async () => {
    const w = await world(server).org('add').member('ann').member('bob').outsider('eve').team('labelers').dataset('cams').build();
    const { ann, bob, eve } = people(w);
    const admin = w.orgs.add!.admin;
    await admin.put(`/api/v1/datasets/${w.datasets.cams}/sharing/teams/${w.teams.labelers}`, { level: 'read' });
    const members = `/api/v1/teams/${w.teams.labelers}/members`;
    expectError(await ann!.get(`/api/v1/datasets/${w.datasets.cams}`), 404, 'not_found');
    expect((await admin.put(`${members}/${ann!.id}`)).status).toBe(204);
    expect((await admin.put(`${members}/${ann!.id}`)).status).toBe(204);
    expect((await ann!.get(`/api/v1/datasets/${w.datasets.cams}`)).body.myLevel).toBe('read');
    expect((await admin.get(`/api/v1/teams/${w.teams.labelers}`)).body.members).toEqual([ann!.user]);

    expectError(await admin.put(`${members}/${eve!.id}`), 409, 'not_a_member');
    expectError(await admin.put(`${members}/usr_doesnotexist`), 409, 'not_a_member');
    expectError(await ann!.put(`${members}/${bob!.id}`), 403, 'forbidden');
    expectError(await eve!.put(`${members}/${eve!.id}`), 404, 'not_found');
    expectError(await new Actor(server.app).put(`${members}/${bob!.id}`), 401, 'unauthenticated');
    expectError(await admin.put(`/api/v1/teams/team_nope/members/${bob!.id}`), 404, 'not_found');
    expect((await admin.get(`/api/v1/teams/${w.teams.labelers}`)).body.members).toEqual([ann!.user]);
    expectError(await eve!.get(`/api/v1/datasets/${w.datasets.cams}`), 404, 'not_found');
  });

  it('removes a member from a team (admin only), and the team’s access goes with it', async () => {
    const w = await world(server)
      .org('remove')
      .member('ann')
      .member('bob')
      .outsider('eve')
      .team('labelers', ['ann', 'bob'])
      .dataset('cams')
      .teamGrant('cams', 'labelers', 'annotate')
      .build();
    const { ann, bob, eve } = people(w);
    const admin = w.orgs.remove!.admin;
    const members = `/api/v1/teams/${w.teams.labelers}/members`;
    expectError(await bob!.delete(`${members}/${ann!.id}`), 403, 'forbidden');
    expectError(await eve!.delete(`${members}/${ann!.id}`), 404, 'not_found');
    expectError(await new Actor(server.app).delete(`${members}/${ann!.id}`), 401, 'unauthenticated');
    expect((await ann!.get(`/api/v1/datasets/${w.datasets.cams}`)).body.myLevel).toBe('annotate');

    expect((await admin.delete(`${members}/${ann!.id}`)).status).toBe(204);
    expectError(await ann!.get(`/api/v1/datasets/${w.datasets.cams}`), 404, 'not_found');
    expect((await bob!.get(`/api/v1/datasets/${w.datasets.cams}`)).body.myLevel).toBe('annotate');
    // Removing again is done already: 204, and no second event.
    expect((await admin.delete(`${members}/${ann!.id}`)).status).toBe(204);
    const removals = await server.ctx.db
      .selectFrom('audit_events')
      .select('id')
      .where('action', '=', 'team.member_removed')
      .where('subject', '=', `user:${ann!.id}`)
      .execute();
    expect(removals).toHaveLength(1);
    expect((await admin.get(`/api/v1/orgs/${w.orgs.remove!.id}/teams`)).body.items[0].memberCount).toBe(1);
  });
});
