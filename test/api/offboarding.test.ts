import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Actor, signUp } from '../helpers/client.js';
import { DATABASES } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { world } from '../helpers/world.js';
import { expectError } from './errors.js';

interface Event {
  action: string;
  datasetId: string | null;
  subject: string;
  before: { level?: string } | null;
  after: unknown;
}

describe.each(DATABASES)('offboarding a member over HTTP (%s)', (db) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ db });
  });
  afterAll(async () => {
    await server.close();
  });

  const events = async (admin: Actor, orgId: string, action: string): Promise<Event[]> =>
    (await admin.get(`/api/v1/orgs/${orgId}/audit?action=${action}&limit=200`)).body.items;

  it('previews what removal takes away: direct grants (the creator’s admin grant included) and teams', async () => {
    const w = await world(server)
      .org('acme')
      .member('ann')
      .member('bob')
      .team('labelers', ['ann'])
      .team('reviewers', ['ann', 'bob'])
      .dataset('cams', { tier: 'organization' })
      .dataset('mine', { by: 'ann' })
      .dataset('lidar')
      .grant('cams', 'ann', 'write')
      .teamGrant('lidar', 'labelers', 'read')
      .build();
    const admin = w.orgs.acme!.admin;
    const { ann, bob } = w.users as Record<string, Actor>;
    const url = `/api/v1/orgs/${w.orgs.acme!.id}/members/${ann!.id}/removal-preview`;
    const expected = {
      grants: [
        { datasetId: w.datasets.cams, datasetName: 'cams', level: 'write' },
        { datasetId: w.datasets.mine, datasetName: 'mine', level: 'admin' },
      ],
      teams: [
        { id: w.teams.labelers, name: 'labelers' },
        { id: w.teams.reviewers, name: 'reviewers' },
      ],
    };
    expect(await admin.get(url)).toMatchObject({ status: 200, body: expected });
    expect((await ann!.get(url)).body).toEqual(expected);
    expectError(await bob!.get(url), 403, 'forbidden');
    expectError(await (await signUp(server.app, 'eve')).get(url), 404, 'not_found');
    expectError(await new Actor(server.app).get(url), 401, 'unauthenticated');
    const outsider = await signUp(server.app, 'olga');
    expectError(await admin.get(`/api/v1/orgs/${w.orgs.acme!.id}/members/${outsider.id}/removal-preview`), 404, 'not_found');
    // Looking changes nothing.
    expect((await ann!.get(`/api/v1/datasets/${w.datasets.cams}`)).body.myLevel).toBe('write');
  });

  it('revokes the removed member’s direct grants in the same step, each in the audit log', async () => {
    const w = await world(server)
      .org('acme')
      .member('ann')
      .team('labelers', ['ann'])
      .dataset('open', { tier: 'external' })
      .dataset('mine', { by: 'ann' })
      .grant('open', 'ann', 'annotate')
      .build();
    const admin = w.orgs.acme!.admin;
    const orgId = w.orgs.acme!.id;
    const ann = w.users.ann!;
    expect((await admin.patch(`/api/v1/datasets/${w.datasets.mine}`, { visibility: 'external' })).status).toBe(200);
    expect((await admin.delete(`/api/v1/orgs/${orgId}/members/${ann.id}`)).status).toBe(204);

    // The tier is "external", so a kept grant would still open the datasets: nothing is kept.
    expectError(await ann.get(`/api/v1/datasets/${w.datasets.open}`), 404, 'not_found');
    expectError(await ann.get(`/api/v1/datasets/${w.datasets.mine}`), 404, 'not_found');
    expect((await ann.get('/api/v1/datasets')).body.items).toEqual([]);
    for (const ds of [w.datasets.open, w.datasets.mine]) {
      const users = (await admin.get(`/api/v1/datasets/${ds}/sharing`)).body.users.map((g: { user: { id: string } }) => g.user.id);
      expect(users).not.toContain(ann.id);
    }
    const revoked = await events(admin, orgId, 'grant.revoked');
    expect(revoked.map((e) => [e.datasetId, e.subject, e.before?.level]).sort()).toEqual(
      [
        [w.datasets.mine, `user:${ann.id}`, 'admin'],
        [w.datasets.open, `user:${ann.id}`, 'annotate'],
      ].sort(),
    );
    expect((await events(admin, orgId, 'member.removed')).map((e) => e.subject)).toEqual([`user:${ann.id}`]);
    expect((await events(admin, orgId, 'team.member_removed')).map((e) => e.subject)).toEqual([`user:${ann.id}`]);
    // And the preview of a non-member is 404.
    expectError(await admin.get(`/api/v1/orgs/${orgId}/members/${ann.id}/removal-preview`), 404, 'not_found');
  });

  it('keeps the grants with keepGrants=true, as external grants that are dormant unless the tier is external', async () => {
    const w = await world(server)
      .org('acme')
      .member('ann')
      .dataset('open', { tier: 'external' })
      .dataset('inside', { tier: 'organization' })
      .grant('open', 'ann', 'annotate')
      .grant('inside', 'ann', 'write')
      .build();
    const admin = w.orgs.acme!.admin;
    const orgId = w.orgs.acme!.id;
    const ann = w.users.ann!;
    expect((await admin.delete(`/api/v1/orgs/${orgId}/members/${ann.id}?keepGrants=true`)).status).toBe(204);

    expect((await ann.get(`/api/v1/datasets/${w.datasets.open}`)).body.myLevel).toBe('annotate');
    expectError(await ann.get(`/api/v1/datasets/${w.datasets.inside}`), 404, 'not_found');
    const dormant = (await admin.get(`/api/v1/datasets/${w.datasets.inside}/sharing`)).body.users.find(
      (g: { user: { id: string } }) => g.user.id === ann.id,
    );
    expect(dormant).toMatchObject({ level: 'write', external: true, active: false });
    expect(await events(admin, orgId, 'grant.revoked')).toEqual([]);
    expect((await events(admin, orgId, 'member.removed'))[0]?.after).toEqual({ keptGrants: true });

    await admin.patch(`/api/v1/datasets/${w.datasets.inside}`, { visibility: 'external' });
    expect((await ann.get(`/api/v1/datasets/${w.datasets.inside}`)).body.myLevel).toBe('write');
    expectError(await admin.delete(`/api/v1/orgs/${orgId}/members/${ann.id}?keepGrants=maybe`), 400, 'invalid_request');
  });

  it('lets a member leave, taking their grants with them unless they keep them', async () => {
    const w = await world(server).org('acme').member('ann').member('bob').dataset('open', { tier: 'external' }).build();
    const admin = w.orgs.acme!.admin;
    const orgId = w.orgs.acme!.id;
    const { ann, bob } = w.users as Record<string, Actor>;
    await admin.put(`/api/v1/datasets/${w.datasets.open}/sharing/users/${ann!.id}`, { level: 'read' });
    await admin.put(`/api/v1/datasets/${w.datasets.open}/sharing/users/${bob!.id}`, { level: 'read' });
    expectError(await ann!.delete(`/api/v1/orgs/${orgId}/members/${bob!.id}`), 403, 'forbidden');
    expect((await ann!.delete(`/api/v1/orgs/${orgId}/members/${ann!.id}`)).status).toBe(204);
    expect((await bob!.delete(`/api/v1/orgs/${orgId}/members/${bob!.id}?keepGrants=true`)).status).toBe(204);
    expectError(await ann!.get(`/api/v1/datasets/${w.datasets.open}`), 404, 'not_found');
    expect((await bob!.get(`/api/v1/datasets/${w.datasets.open}`)).body.myLevel).toBe('read');
  });

  it('refuses to remove the last admin and then revokes nothing', async () => {
    const w = await world(server).org('solo').dataset('cams').build();
    const admin = w.orgs.solo!.admin;
    const orgId = w.orgs.solo!.id;
    expectError(await admin.delete(`/api/v1/orgs/${orgId}/members/${admin.id}`), 409, 'last_admin');
    expect((await admin.get(`/api/v1/datasets/${w.datasets.cams}`)).body.myLevel).toBe('admin');
    expect(await events(admin, orgId, 'grant.revoked')).toEqual([]);
  });
});
