import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { upload } from '../helpers/upload.js';
import { world } from '../helpers/world.js';

describe.each(DATABASES)('projects and processing with lineage (%s)', (db) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ db, processInlineLimit: 5 });
  });
  afterAll(async () => {
    await server.close();
  });

  it('lists in a project only the datasets the viewer can read', async () => {
    const w = await world(server)
      .org('acme')
      .member('ann')
      .member('bob')
      .outsider('eve')
      .dataset('open', { tier: 'organization' })
      .dataset('secret')
      .grant('secret', 'ann', 'read')
      .build();
    const [ann, bob, eve] = [w.users.ann!, w.users.bob!, w.users.eve!];
    const orgId = w.orgs.acme!.id;
    const project = await bob.post(`/api/v1/orgs/${orgId}/projects`, { name: 'Spring survey' });
    expect(project.status).toBe(201);
    expect((await eve.post(`/api/v1/orgs/${orgId}/projects`, { name: 'x' })).status).toBe(404);
    const url = `/api/v1/projects/${project.body.id}`;
    expect((await bob.put(`${url}/datasets/${w.datasets.secret}`)).status).toBe(404);
    expect((await ann.put(`${url}/datasets/${w.datasets.secret}`)).status).toBe(204);
    expect((await bob.put(`${url}/datasets/${w.datasets.open}`)).status).toBe(204);
    const other = await world(server).org('other').dataset('theirs', { tier: 'organization' }).build();
    expect((await other.orgs.other!.admin.put(`${url}/datasets/${other.datasets.theirs}`)).status).toBe(404);

    const names = async (actor: typeof ann) => (await actor.get(url)).body.datasets.map((d: { name: string }) => d.name);
    expect(await names(ann)).toEqual(['open', 'secret']);
    expect(await names(bob)).toEqual(['open']);
    expect((await eve.get(url)).status).toBe(404);
    expect((await bob.get(`/api/v1/orgs/${orgId}/projects`)).body.items).toEqual([{ id: project.body.id, orgId, name: 'Spring survey' }]);
    await w.orgs.acme!.admin.delete(`/api/v1/datasets/${w.datasets.secret}/sharing/users/${ann.id}`);
    expect(await names(ann)).toEqual(['open']);
    expect((await bob.get(`/api/v1/datasets/${w.datasets.open}/projects`)).body.items).toEqual([
      { id: project.body.id, orgId, name: 'Spring survey' },
    ]);
  });

  it('dedupes into a new dataset with lineage, keeping the annotations of the items it keeps', async () => {
    const w = await world(server)
      .org('acme')
      .member('writer')
      .member('annotator')
      .team('labelers', ['annotator'])
      .dataset('frames', { tier: 'organization' })
      .build();
    const admin = w.orgs.acme!.admin;
    const source = w.datasets.frames!;
    await admin.put(`/api/v1/datasets/${source}/sharing/users/${w.users.writer!.id}`, { level: 'write' });
    await admin.put(`/api/v1/datasets/${source}/sharing/teams/${w.teams.labelers}`, { level: 'annotate' });
    const items = (
      await upload(admin, source, [
        { name: 'a.txt', content: Buffer.from('frame A') },
        { name: 'b.txt', content: Buffer.from('frame B') },
        { name: 'a-again.txt', content: Buffer.from('frame A') },
      ])
    ).body.items;
    const layer = (await admin.post(`/api/v1/datasets/${source}/layers`, { name: 'objects' })).body;
    for (const [item, label] of [
      [items[0], 'kept on A'],
      [items[1], 'kept on B'],
      [items[2], 'dropped with the copy'],
    ] as const) {
      expect((await w.users.annotator!.post(`/api/v1/layers/${layer.id}/annotations`, { itemId: item.id, label })).status).toBe(201);
    }

    const refused = await w.users.writer!.post(`/api/v1/datasets/${source}/process`, { pipeline: 'dedupe' });
    expect(refused.status).toBe(403);
    await admin.patch(`/api/v1/orgs/${w.orgs.acme!.id}/members/${w.users.writer!.id}`, { processDatasets: true });
    expect((await w.users.annotator!.post(`/api/v1/datasets/${source}/process`, { pipeline: 'dedupe' })).status).toBe(403);
    expect((await w.users.writer!.post(`/api/v1/datasets/${source}/process`, { pipeline: 'resize' })).status).toBe(400);

    const plain = await w.users.writer!.post(`/api/v1/datasets/${source}/process`, { pipeline: 'dedupe' });
    expect(plain.status).toBe(201);
    expect(plain.body).toMatchObject({
      name: 'frames (deduplicated)',
      predecessorId: source,
      orgId: w.orgs.acme!.id,
      itemCount: 2,
      visibility: 'admins',
      myLevel: 'admin',
    });
    const copy = plain.body.id;
    const copyItems = (await w.users.writer!.get(`/api/v1/datasets/${copy}/items`)).body.items;
    expect(copyItems.map((i: { name: string }) => i.name)).toEqual(['a.txt', 'b.txt']);
    const copyLayers = (await w.users.writer!.get(`/api/v1/datasets/${copy}/layers`)).body.items;
    expect(copyLayers).toEqual([expect.objectContaining({ name: 'objects', annotationCount: 2 })]);
    const labels = (await w.users.writer!.get(`/api/v1/layers/${copyLayers[0].id}/annotations`)).body.items.map(
      (a: { label: string }) => a.label,
    );
    expect(labels.sort()).toEqual(['kept on A', 'kept on B']);
    // Sharing did not carry over: the team and the org tier give nothing on the copy.
    expect((await w.users.annotator!.get(`/api/v1/datasets/${copy}`)).status).toBe(404);
    expect((await admin.get(`/api/v1/datasets/${copy}/sharing`)).body.teams).toEqual([]);

    const carried = await w.users.writer!.post(`/api/v1/datasets/${source}/process`, { pipeline: 'dedupe', carrySharing: true });
    expect(carried.status).toBe(201);
    expect(carried.body.visibility).toBe('organization');
    expect((await w.users.annotator!.get(`/api/v1/datasets/${carried.body.id}`)).body.myLevel).toBe('annotate');
    const sharing = (await admin.get(`/api/v1/datasets/${carried.body.id}/sharing`)).body;
    expect(sharing.teams.map((t: { team: { id: string } }) => t.team.id)).toEqual([w.teams.labelers]);
    expect(sharing.invitations).toEqual([]);
    const lineage = (await admin.get(`/api/v1/datasets/${source}/lineage`)).body;
    expect(lineage.predecessor).toBeNull();
    expect(lineage.successors.map((d: { id: string }) => d.id).sort()).toEqual([copy, carried.body.id].sort());
    expect((await admin.get(`/api/v1/datasets/${copy}/lineage`)).body.predecessor.id).toBe(source);
    // The annotator can read the carried copy but not the private one, so sees only that successor.
    expect((await w.users.annotator!.get(`/api/v1/datasets/${source}/lineage`)).body.successors.map((d: { id: string }) => d.id)).toEqual([
      carried.body.id,
    ]);
    const events = (await admin.get(`/api/v1/orgs/${w.orgs.acme!.id}/audit?action=dataset.processed`)).body.items;
    expect(events).toHaveLength(2);
  });

  it('runs large datasets in the background with progress, visible to the starter and org admins', async () => {
    const w = await world(server).org('acme').member('writer').member('bob').dataset('big').build();
    const admin = w.orgs.acme!.admin;
    const source = w.datasets.big!;
    await admin.put(`/api/v1/datasets/${source}/sharing/users/${w.users.writer!.id}`, { level: 'write' });
    await admin.patch(`/api/v1/orgs/${w.orgs.acme!.id}/members/${w.users.writer!.id}`, { processDatasets: true });
    const files = Array.from({ length: 8 }, (_, i) => ({ name: `f${i}.txt`, content: Buffer.from(`content ${i % 3}`) }));
    await upload(admin, source, files);

    const started = await w.users.writer!.post(`/api/v1/datasets/${source}/process`, { pipeline: 'dedupe' });
    expect(started.status).toBe(202);
    expect(started.body.job).toMatchObject({ total: 8, sourceDatasetId: source });
    const url = `/api/v1/jobs/${started.body.job.id}`;
    let job = (await w.users.writer!.get(url)).body;
    for (let i = 0; i < 100 && job.status !== 'succeeded' && job.status !== 'failed'; i += 1) {
      await new Promise((r) => setTimeout(r, 20));
      job = (await w.users.writer!.get(url)).body;
    }
    expect(job).toMatchObject({ status: 'succeeded', done: 8, total: 8 });
    expect((await admin.get(url)).body.datasetId).toBe(job.datasetId);
    expect((await w.users.bob!.get(url)).status).toBe(404);
    expect((await w.users.writer!.get(`/api/v1/datasets/${job.datasetId}`)).body.itemCount).toBe(3);
  });
});
