import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor, Response } from '../helpers/client.js';
import { DATABASES } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { world } from '../helpers/world.js';

/** Every page of the caller's inventory, one dataset a page, so each step goes through the keyset. */
async function pagedNames(actor: Actor): Promise<string[]> {
  const names: string[] = [];
  let cursor: string | null = null;
  do {
    const page: Response = await actor.get(`/api/v1/datasets?limit=1${cursor ? `&cursor=${cursor}` : ''}`);
    expect(page.status).toBe(200);
    names.push(...page.body.items.map((d: { name: string }) => d.name));
    cursor = page.body.nextCursor;
  } while (cursor && names.length < 10);
  return names;
}

describe.each(DATABASES)('the inventory keeps name order through renames (%s)', (db) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ db });
  });
  afterAll(async () => {
    await server.close();
  });

  it('lists datasets reached by direct and team grants in the order of their current names', async () => {
    const w = await world(server)
      .org('acme')
      .member('bob')
      .team('labelers', ['bob'])
      .dataset('alpha')
      .dataset('beta')
      .dataset('gamma')
      .grant('alpha', 'bob', 'read')
      .grant('gamma', 'bob', 'annotate')
      .teamGrant('beta', 'labelers', 'read')
      .build();
    const bob = w.users.bob!;
    const admin = w.orgs.acme!.admin;
    expect(await pagedNames(bob)).toEqual(['alpha', 'beta', 'gamma']);

    expect((await admin.patch(`/api/v1/datasets/${w.datasets.alpha}`, { name: 'zulu' })).status).toBe(200);
    expect(await pagedNames(bob)).toEqual(['beta', 'gamma', 'zulu']);

    expect((await admin.patch(`/api/v1/datasets/${w.datasets.beta}`, { name: 'Aardvark' })).status).toBe(200);
    expect(await pagedNames(bob)).toEqual(['Aardvark', 'gamma', 'zulu']);
  });

  it('lists a dataset granted after its rename under its new name', async () => {
    const w = await world(server).org('globex').member('carol').team('review', ['carol']).dataset('one').dataset('two').build();
    const admin = w.orgs.globex!.admin;
    expect((await admin.patch(`/api/v1/datasets/${w.datasets.one}`, { name: 'three' })).status).toBe(200);
    expect((await admin.put(`/api/v1/datasets/${w.datasets.one}/sharing/users/${w.users.carol!.id}`, { level: 'read' })).status).toBe(200);
    expect((await admin.put(`/api/v1/datasets/${w.datasets.two}/sharing/teams/${w.teams.review}`, { level: 'read' })).status).toBe(200);
    expect(await pagedNames(w.users.carol!)).toEqual(['three', 'two']);
  });
});
