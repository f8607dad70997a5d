import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../helpers/client.js';
import { DATABASES } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { world } from '../helpers/world.js';
import { expectError } from './errors.js';

describe.each(DATABASES)('a partner’s dataset in a project (%s)', (db) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ db });
  });
  afterAll(async () => {
    await server.close();
  });

  it('lets a member add a dataset another organization shared with them, shown only to those who can read it', async () => {
    const w = await world(server)
      .org('globex')
      .member('bob', 'admin')
      .member('carol')
      .org('acme')
      .dataset('survey', { tier: 'external' })
      .dataset('private')
      .invite('survey', 'bob', 'read')
      .build();
    const { bob, carol } = w.users as Record<string, Actor>;
    const [acmeAdmin, globexAdmin] = [w.orgs.acme!.admin, w.orgs.globex!.admin];
    const survey = w.datasets.survey!;
    expect((await bob!.get(`/api/v1/datasets/${survey}`)).status).toBe(200);

    const project = await bob!.post(`/api/v1/orgs/${w.orgs.globex!.id}/projects`, { name: 'Field work' });
    expect(project.status).toBe(201);
    const url = `/api/v1/projects/${project.body.id}`;
    expect((await bob!.put(`${url}/datasets/${survey}`)).status).toBe(204);
    // Read is still the minimum: a dataset the caller cannot read is not found, whoever owns it.
    expectError(await bob!.put(`${url}/datasets/${w.datasets.private}`), 404, 'not_found');
    expectError(await carol!.put(`${url}/datasets/${survey}`), 404, 'not_found');

    const listed = async (actor: Actor) =>
      (await actor.get(url)).body.datasets.map((d: { id: string; myLevel: string }) => [d.id, d.myLevel]);
    expect(await listed(bob!)).toEqual([[survey, 'read']]);
    expect(await listed(carol!)).toEqual([]);
    expect(await listed(globexAdmin)).toEqual([]);
    expectError(await acmeAdmin.get(url), 404, 'not_found');

    // Each sees the projects of their own organizations only.
    const projectsOf = async (actor: Actor) => (await actor.get(`/api/v1/datasets/${survey}/projects`)).body.items;
    expect(await projectsOf(bob!)).toEqual([{ id: project.body.id, orgId: w.orgs.globex!.id, name: 'Field work' }]);
    expect(await projectsOf(acmeAdmin)).toEqual([]);

    // A dormant grant reads nothing, so the project stops showing the dataset; opening the tier again brings it back.
    expect((await acmeAdmin.patch(`/api/v1/datasets/${survey}`, { visibility: 'organization' })).status).toBe(200);
    expect(await listed(bob!)).toEqual([]);
    expect((await acmeAdmin.patch(`/api/v1/datasets/${survey}`, { visibility: 'external' })).status).toBe(200);
    expect(await listed(bob!)).toEqual([[survey, 'read']]);
    // A bodyless change from the browser carries the app's Origin.
    const revoke = await acmeAdmin.request('DELETE', `/api/v1/datasets/${survey}/sharing/users/${bob!.id}`, undefined, {
      origin: server.ctx.publicUrl.origin,
    });
    expect(revoke.status).toBe(204);
    expect(await listed(bob!)).toEqual([]);
  });
});
