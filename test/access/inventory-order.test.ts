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

  it('merges its access paths in code point order, as the database sorts, names beyond U+FFFF included', async () => {
    // The merge picks which datasets make a page: compared in UTF-16 order, the emoji (surrogate
    // pairs, from U+D83D) of the direct grants would come before the team's U+E000 and U+FFFD,
    // and a page of one after "å ring" would skip both.
    const direct = ['z plain', '😀 smile', '😃 grin'];
    const team = ['Å ring', '\ue000 private', '\ufffd mark'];
    let build = world(server).org('initech').member('dave').team('pickers', ['dave']);
    for (const name of [...direct, ...team]) build = build.dataset(name);
    for (const name of direct) build = build.grant(name, 'dave', 'read');
    for (const name of team) build = build.teamGrant(name, 'pickers', 'read');
    const w = await build.build();
    const dave = w.users.dave!;
    const inOrder = ['z plain', 'Å ring', '\ue000 private', '\ufffd mark', '😀 smile', '😃 grin'];
    expect(await pagedNames(dave)).toEqual(inOrder);
    const page = await dave.get('/api/v1/datasets?limit=50');
    expect(page.body.items.map((d: { name: string }) => d.name)).toEqual(inOrder);
  });
});
