import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Actor } from '../helpers/client.js';
import { DATABASES } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { type World, world } from '../helpers/world.js';
import { expectError } from './errors.js';

interface Entry {
  id: string;
  name: string;
  orgId: string;
  orgName: string;
  myLevel: string;
  teams: { id: string; name: string; level: string }[];
}

describe.each(DATABASES)('the inventory over HTTP (%s)', (db) => {
  let server: TestServer;
  let w: World;
  let ann: Actor;
  beforeAll(async () => {
    server = await startTestServer({ db });
    w = await world(server)
      .org('acme')
      .member('ann')
      .team('labelers', ['ann'])
      .dataset('Alpha', { tier: 'organization' })
      .dataset('bravo')
      .dataset('charlie')
      .dataset('delta')
      .dataset('echo')
      .teamGrant('bravo', 'labelers', 'annotate')
      .grant('charlie', 'ann', 'write')
      .grant('echo', 'ann', 'admin')
      .teamGrant('echo', 'labelers', 'read')
      .org('beta')
      .member('ann')
      .dataset('alpha two', { tier: 'organization' })
      .build();
    ann = w.users.ann!;
  });
  afterAll(async () => {
    await server.close();
  });

  async function list(actor: Actor, query = ''): Promise<Entry[]> {
    const res = await actor.get(`/api/v1/datasets${query}`);
    expect(res.status).toBe(200);
    return res.body.items;
  }
  const names = async (query = '') => (await list(ann, query)).map((d) => d.name);

  it('lists what I can read, by name (case-insensitive), with my level, the org and the teams that reach it', async () => {
    const items = await list(ann);
    expect(items.map((d) => [d.name, d.myLevel, d.orgName])).toEqual([
      ['Alpha', 'read', 'acme'],
      ['alpha two', 'read', 'beta'],
      ['bravo', 'annotate', 'acme'],
      ['charlie', 'write', 'acme'],
      ['echo', 'admin', 'acme'],
    ]);
    const byName = Object.fromEntries(items.map((d) => [d.name, d]));
    expect(byName.bravo!.teams).toEqual([{ id: w.teams.labelers, name: 'labelers', level: 'annotate' }]);
    expect(byName.echo!.teams).toEqual([{ id: w.teams.labelers, name: 'labelers', level: 'read' }]);
    expect(byName.charlie!.teams).toEqual([]);
    expect(byName.Alpha).toMatchObject({ id: w.datasets.Alpha, orgId: w.orgs.acme!.id, visibility: 'organization', itemCount: 0 });
    expect((await list(w.orgs.acme!.admin)).map((d) => [d.name, d.myLevel])).toEqual([
      ['Alpha', 'admin'],
      ['bravo', 'admin'],
      ['charlie', 'admin'],
      ['delta', 'admin'],
      ['echo', 'admin'],
    ]);
  });

  it('filters by organization, by a search in the name, and by the minimum level', async () => {
    expect(await names(`?orgId=${w.orgs.acme!.id}`)).toEqual(['Alpha', 'bravo', 'charlie', 'echo']);
    expect(await names(`?orgId=${w.orgs.beta!.id}`)).toEqual(['alpha two']);
    expect(await names('?orgId=org_notmine')).toEqual([]);
    expect(await names('?q=ALP')).toEqual(['Alpha', 'alpha two']);
    expect(await names('?q=ha%20t')).toEqual(['alpha two']);
    expect(await names('?q=%25')).toEqual([]);
    expect(await names('?q=_')).toEqual([]);
    expect(await names('?minLevel=read')).toEqual(['Alpha', 'alpha two', 'bravo', 'charlie', 'echo']);
    expect(await names('?minLevel=annotate')).toEqual(['bravo', 'charlie', 'echo']);
    expect(await names('?minLevel=write')).toEqual(['charlie', 'echo']);
    expect(await names('?minLevel=admin')).toEqual(['echo']);
    expect(await names(`?orgId=${w.orgs.acme!.id}&q=a&minLevel=annotate`)).toEqual(['bravo', 'charlie']);
    expectError(await ann.get('/api/v1/datasets?minLevel=owner'), 400, 'invalid_request');
    expectError(await ann.get('/api/v1/datasets?orgId=../../etc/passwd'), 400, 'invalid_request');
  });

  it('needs a caller: 401 without a session', async () => {
    expectError(await new Actor(server.app).get('/api/v1/datasets'), 401, 'unauthenticated');
  });

  it('refuses a limit outside 1–200 and a cursor it did not hand out', async () => {
    for (const limit of ['0', '201', '-1', 'ten', '1.5']) {
      expectError(await ann.get(`/api/v1/datasets?limit=${limit}`), 400, 'invalid_request');
    }
    expect((await ann.get('/api/v1/datasets?limit=1')).body.items).toHaveLength(1);
    expect((await ann.get('/api/v1/datasets?limit=200')).body.items).toHaveLength(5);
    const wrongShape = Buffer.from(JSON.stringify([1, 2, 3])).toString('base64url');
    for (const cursor of ['garbage!!', 'bm90IGpzb24', wrongShape, 'x'.repeat(3000)]) {
      expectError(await ann.get(`/api/v1/datasets?cursor=${cursor}`), 400, 'invalid_request');
    }
  });

  it('pages with a keyset cursor across several pages, equal names included, without duplicates or gaps', async () => {
    const paged = await world(server)
      .org('pages')
      .dataset('p')
      .dataset('P')
      .dataset('p')
      .dataset('q')
      .dataset('R')
      .dataset('p')
      .dataset('s')
      .build();
    const admin = paged.orgs.pages!.admin;
    const scope = `orgId=${paged.orgs.pages!.id}`;
    const all = (await list(admin, `?${scope}&limit=200`)).map((d) => d.id);
    expect(all).toHaveLength(7);
    expect(new Set(all).size).toBe(7);

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `?${scope}&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const res = await admin.get(`/api/v1/datasets${query}`);
      expect(res.status).toBe(200);
      seen.push(...res.body.items.map((d: Entry) => d.id));
      cursor = res.body.nextCursor;
      pages += 1;
      // A dataset added behind the cursor mid-way shows up on no later page and shifts nothing.
      if (pages === 2) await admin.post(`/api/v1/orgs/${paged.orgs.pages!.id}/datasets`, { name: 'a-late-one' });
    } while (cursor !== null && pages < 20);
    expect(pages).toBe(4);
    expect(seen).toEqual(all);
    const ordered = (await list(admin, `?${scope}&limit=200`)).map((d) => d.name.toLowerCase());
    expect(ordered).toEqual(['a-late-one', 'p', 'p', 'p', 'p', 'q', 'r', 's']);
  });

  it('pages the same sequence when access comes through tiers, teams and direct grants in two orgs', async () => {
    for (const filter of ['', '&minLevel=annotate', '&q=a']) {
      const whole = (await list(ann, `?limit=200${filter}`)).map((d) => d.id);
      for (const limit of [1, 2, 3]) {
        const seen: string[] = [];
        let cursor: string | null = null;
        for (let page = 0; page < 10; page += 1) {
          const res: { body: { items: Entry[]; nextCursor: string | null } } = await ann.get(
            `/api/v1/datasets?limit=${limit}${filter}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
          );
          seen.push(...res.body.items.map((d) => d.id));
          cursor = res.body.nextCursor;
          if (!cursor) break;
        }
        expect(seen, `limit ${limit}${filter}`).toEqual(whole);
      }
    }
  });

  it('answers 50 by default', async () => {
    let builder = world(server).org('many');
    for (let i = 0; i < 51; i += 1) builder = builder.dataset(`set ${String(i).padStart(2, '0')}`);
    const many = await builder.build();
    const res = await many.orgs.many!.admin.get(`/api/v1/datasets?orgId=${many.orgs.many!.id}`);
    expect(res.body.items).toHaveLength(50);
    expect(res.body.items[49].name).toBe('set 49');
    const rest = await many.orgs.many!.admin.get(
      `/api/v1/datasets?orgId=${many.orgs.many!.id}&cursor=${encodeURIComponent(res.body.nextCursor)}`,
    );
    expect(rest.body.items.map((d: Entry) => d.name)).toEqual(['set 50']);
    expect(rest.body.nextCursor).toBeNull();
  });

  it('lists the teams that reach a dataset by name then id, live grants only, on every kind of page', async () => {
    const org = w.orgs.acme!;
    const admin = org.admin;
    const made = await admin.post(`/api/v1/orgs/${org.id}/datasets`, { name: 'zulu teams', visibility: 'admins' });
    const dataset = made.body.id as string;
    const team = async (name: string) => (await admin.post(`/api/v1/orgs/${org.id}/teams`, { name })).body.id as string;
    // Code point order, as the database sorts: upper case first, then by id for equal names.
    const teams = { beta: await team('beta'), Alpha: await team('Alpha'), alpha: await team('alpha'), gamma: await team('gamma') };
    const share = (id: string, body: Record<string, unknown>) => admin.put(`/api/v1/datasets/${dataset}/sharing/teams/${id}`, body);
    expect((await share(teams.beta, { level: 'write' })).status).toBe(200);
    expect((await share(teams.Alpha, { level: 'read' })).status).toBe(200);
    expect((await share(teams.alpha, { level: 'annotate' })).status).toBe(200);
    const hour = 3_600_000;
    expect((await share(teams.gamma, { level: 'admin', expiresAt: new Date(server.clock.now() + hour).toISOString() })).status).toBe(200);
    expect((await share(w.teams.labelers!, { level: 'read' })).status).toBe(200);
    const expected = (withGamma: boolean) => [
      { id: teams.Alpha, name: 'Alpha', level: 'read' },
      { id: teams.alpha, name: 'alpha', level: 'annotate' },
      { id: teams.beta, name: 'beta', level: 'write' },
      ...(withGamma ? [{ id: teams.gamma, name: 'gamma', level: 'admin' }] : []),
      { id: w.teams.labelers!, name: 'labelers', level: 'read' },
    ];
    // The admin's plain page, ann's (through her team), a name search through the index, and the last row of a short page.
    const pages = async () => [
      (await list(admin)).find((d) => d.id === dataset)?.teams,
      (await list(ann)).find((d) => d.id === dataset)?.teams,
      (await list(ann, '?q=zulu')).find((d) => d.id === dataset)?.teams,
      (await list(admin, '?q=zulu%20t&limit=1'))[0]?.teams,
    ];
    expect(await pages()).toEqual(Array(4).fill(expected(true)));
    server.clock.advance(hour);
    expect(await pages()).toEqual(Array(4).fill(expected(false)));
  });
});
