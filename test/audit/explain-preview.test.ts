import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp } from '../helpers/client.js';
import { DATABASES } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { world } from '../helpers/world.js';

describe.each(DATABASES)('explain, preview and time-boxed grants (%s)', (db) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ db });
  });
  afterAll(async () => {
    await server.close();
  });

  it('explains every path, to dataset admins and to the user themself only', async () => {
    const w = await world(server)
      .org('acme')
      .member('ann')
      .member('bob')
      .team('labelers', ['ann'])
      .team('reviewers', ['ann'])
      .dataset('cams', { tier: 'organization' })
      .teamGrant('cams', 'labelers', 'annotate')
      .teamGrant('cams', 'reviewers', 'write')
      .grant('cams', 'ann', 'read')
      .build();
    const admin = w.orgs.acme!.admin;
    const ann = w.users.ann!;
    const url = `/api/v1/datasets/${w.datasets.cams}/access/${ann.id}`;

    const explained = await admin.get(url);
    expect(explained.status).toBe(200);
    expect(explained.body.level).toBe('write');
    expect(explained.body.paths).toEqual([
      { kind: 'visibility', level: 'read' },
      { kind: 'team', level: 'write', team: { id: w.teams.reviewers, name: 'reviewers' }, expiresAt: null },
      { kind: 'team', level: 'annotate', team: { id: w.teams.labelers, name: 'labelers' }, expiresAt: null },
      { kind: 'direct', level: 'read', expiresAt: null },
    ]);
    expect((await ann.get(url)).body.level).toBe('write');
    expect((await w.users.bob!.get(url)).status).toBe(403);
    const outsider = await signUp(server.app, 'outsider');
    expect((await outsider.get(url)).status).toBe(404);
    expect((await admin.get(`/api/v1/datasets/${w.datasets.cams}/access/${admin.id}`)).body.paths[0]).toEqual({
      kind: 'org_admin',
      level: 'admin',
    });
    expect((await admin.get(`/api/v1/datasets/${w.datasets.cams}/access/usr_nobody`)).status).toBe(404);
    const stranger = await admin.get(`/api/v1/datasets/${w.datasets.cams}/access/${outsider.id}`);
    expect(stranger.body).toEqual({ level: null, paths: [], dormant: [] });
  });

  it('previews a tier change exactly as applying it turns out, and changes nothing', async () => {
    const w = await world(server)
      .org('acme')
      .member('ann')
      .member('bob')
      .team('labelers', ['bob'])
      .dataset('cams', { tier: 'organization' })
      .teamGrant('cams', 'labelers', 'write')
      .build();
    const admin = w.orgs.acme!.admin;
    const url = `/api/v1/datasets/${w.datasets.cams}`;
    const preview = await admin.post(`${url}/sharing/preview`, { visibility: 'admins' });
    expect(preview.status).toBe(200);
    expect(preview.body.gains).toEqual([]);
    expect(preview.body.losses).toEqual([{ user: w.users.ann!.user, from: 'read', to: null }]);
    expect((await w.users.ann!.get(url)).status).toBe(200);

    const teamPreview = await admin.post(`${url}/sharing/preview`, { removeTeamId: w.teams.labelers });
    expect(teamPreview.body.losses).toEqual([{ user: w.users.bob!.user, from: 'write', to: 'read' }]);

    await admin.patch(url, { visibility: 'admins' });
    expect((await w.users.ann!.get(url)).status).toBe(404);
    expect((await w.users.bob!.get(url)).body.myLevel).toBe('write');
    expect((await w.users.ann!.post(`${url}/sharing/preview`, { visibility: 'external' })).status).toBe(404);
    expect((await admin.post(`${url}/sharing/preview`, {})).status).toBe(400);
  });

  it('ends a direct or team grant at the exact instant it expires, with no job', async () => {
    const w = await world(server).org('acme').member('ann').member('bob').team('labelers', ['bob']).dataset('cams').build();
    const admin = w.orgs.acme!.admin;
    const url = `/api/v1/datasets/${w.datasets.cams}`;
    const until = server.clock.now() + 60_000;
    const expiresAt = new Date(until).toISOString();
    expect((await admin.put(`${url}/sharing/users/${w.users.ann!.id}`, { level: 'write', expiresAt })).body.expiresAt).toBe(expiresAt);
    expect((await admin.put(`${url}/sharing/teams/${w.teams.labelers}`, { level: 'read', expiresAt })).status).toBe(200);
    expect(
      (
        await admin.put(`${url}/sharing/users/${w.users.ann!.id}`, {
          level: 'write',
          expiresAt: new Date(server.clock.now() - 1).toISOString(),
        })
      ).status,
    ).toBe(400);

    server.clock.set(until - 1);
    expect((await w.users.ann!.get(url)).body.myLevel).toBe('write');
    expect((await w.users.bob!.get(url)).body.myLevel).toBe('read');
    expect((await w.users.ann!.get('/api/v1/datasets')).body.items.map((d: { id: string }) => d.id)).toContain(w.datasets.cams);

    server.clock.set(until);
    expect((await w.users.ann!.get(url)).status).toBe(404);
    expect((await w.users.bob!.get(url)).status).toBe(404);
    expect((await w.users.ann!.get('/api/v1/datasets')).body.items).toEqual([]);
    const sharing = await admin.get(`${url}/sharing`);
    expect(sharing.body.users.map((u: { user: { id: string } }) => u.user.id)).toEqual([admin.id]);
  });
});
