import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES } from '../helpers/databases.js';
import { followJob, type JobJson, pauseProcessing, settled } from '../helpers/jobs.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { blobFiles, upload } from '../helpers/upload.js';
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
      .member('curator')
      .member('bob')
      .team('labelers', ['annotator'])
      .dataset('frames', { tier: 'organization' })
      .build();
    const admin = w.orgs.acme!.admin;
    const source = w.datasets.frames!;
    await admin.put(`/api/v1/datasets/${source}/sharing/users/${w.users.writer!.id}`, { level: 'write' });
    await admin.put(`/api/v1/datasets/${source}/sharing/users/${w.users.curator!.id}`, { level: 'write' });
    const invited = await admin.post(`/api/v1/datasets/${source}/invitations`, { emails: [w.users.bob!.user.email], level: 'annotate' });
    expect(invited.status).toBe(201);
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
      // Processing gives the writer no more on the copy than they had on the source.
      myLevel: 'write',
    });
    expect(plain.body.allowedActions).not.toContain('dataset.share');
    const copy = plain.body.id;
    const copyItems = (await w.users.writer!.get(`/api/v1/datasets/${copy}/items`)).body.items;
    expect(copyItems.map((i: { name: string }) => i.name)).toEqual(['a.txt', 'b.txt']);
    const copyLayers = (await w.users.writer!.get(`/api/v1/datasets/${copy}/layers`)).body.items;
    expect(copyLayers).toEqual([expect.objectContaining({ name: 'objects', annotationCount: 2 })]);
    const labels = (await w.users.writer!.get(`/api/v1/layers/${copyLayers[0].id}/annotations`)).body.items.map(
      (a: { label: string }) => a.label,
    );
    expect(labels.sort()).toEqual(['kept on A', 'kept on B']);
    // Sharing did not carry over: the team, the direct grant and the org tier give nothing on the copy.
    expect((await w.users.annotator!.get(`/api/v1/datasets/${copy}`)).status).toBe(404);
    expect((await w.users.curator!.get(`/api/v1/datasets/${copy}`)).status).toBe(404);
    const plainSharing = (await admin.get(`/api/v1/datasets/${copy}/sharing`)).body;
    expect(plainSharing.teams).toEqual([]);
    expect(plainSharing.users.map((u: { user: { id: string }; level: string }) => [u.user.id, u.level])).toEqual([
      [w.users.writer!.id, 'write'],
    ]);

    const carried = await w.users.writer!.post(`/api/v1/datasets/${source}/process`, { pipeline: 'dedupe', carrySharing: true });
    expect(carried.status).toBe(201);
    expect(carried.body.visibility).toBe('organization');
    expect((await w.users.annotator!.get(`/api/v1/datasets/${carried.body.id}`)).body.myLevel).toBe('annotate');
    expect((await w.users.curator!.get(`/api/v1/datasets/${carried.body.id}`)).body.myLevel).toBe('write');
    expect((await w.users.bob!.get(`/api/v1/datasets/${carried.body.id}`)).body.myLevel).toBe('read');
    const sharing = (await admin.get(`/api/v1/datasets/${carried.body.id}/sharing`)).body;
    expect(sharing.teams.map((t: { team: { id: string } }) => t.team.id)).toEqual([w.teams.labelers]);
    const carriedUsers = sharing.users.map((u: { user: { id: string }; level: string }) => [u.user.id, u.level]);
    expect(carriedUsers.sort()).toEqual(
      [
        [w.users.writer!.id, 'write'],
        [admin.id, 'admin'],
        [w.users.curator!.id, 'write'],
      ].sort(),
    );
    // The pending invitation stays on the source only.
    expect((await admin.get(`/api/v1/datasets/${source}/sharing`)).body.invitations).toHaveLength(1);
    expect(sharing.invitations).toEqual([]);
    const carriedEvents = (await admin.get(`/api/v1/orgs/${w.orgs.acme!.id}/audit?datasetId=${carried.body.id}`)).body.items;
    expect(carriedEvents.map((e: { action: string; subject: string }) => `${e.action} ${e.subject}`).sort()).toEqual(
      [
        `dataset.created dataset:${carried.body.id}`,
        `dataset.processed dataset:${carried.body.id}`,
        `grant.set user:${admin.id}`,
        `grant.set user:${w.users.curator!.id}`,
        `team_grant.set team:${w.teams.labelers}`,
      ].sort(),
    );
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

    const resume = pauseProcessing(server);
    let jobId: string;
    try {
      const started = await w.users.writer!.post(`/api/v1/datasets/${source}/process`, { pipeline: 'dedupe' });
      expect(started.status).toBe(202);
      expect(started.body.job).toMatchObject({ status: 'running', total: 8, sourceDatasetId: source });
      jobId = started.body.job.id;
      // Every item has been read, nothing has been written: the job is part way.
      const reading = await followJob(w.users.writer!, jobId, (job) => job.done === 8);
      expect(reading.at(-1)).toMatchObject({ status: 'running', done: 8, total: 8 });
      expect(reading.at(-1)!.datasetId).toBeUndefined();
      expect((await admin.get(`/api/v1/datasets/${source}/lineage`)).body.successors).toEqual([]);
    } finally {
      resume();
    }
    const seen = await followJob(w.users.writer!, jobId, settled);
    const dones = seen.map((job) => job.done);
    expect(dones).toEqual([...dones].sort((a, b) => a - b));
    const job = seen.at(-1)!;
    expect(job).toMatchObject({ status: 'succeeded', done: 8, total: 8 });
    expect((await admin.get(`/api/v1/jobs/${jobId}`)).body.datasetId).toBe(job.datasetId);
    expect((await w.users.bob!.get(`/api/v1/jobs/${jobId}`)).status).toBe(404);
    expect((await w.users.writer!.get(`/api/v1/datasets/${job.datasetId}`)).body).toMatchObject({ itemCount: 3, predecessorId: source });
  });

  it('answers 202 with the job when even a small dataset takes longer than the wait', async () => {
    const w = await world(server).org('acme').dataset('slow').build();
    const admin = w.orgs.acme!.admin;
    const source = w.datasets.slow!;
    await upload(admin, source, [{ name: 'a.txt', content: Buffer.from('slow a') }]);
    const resume = pauseProcessing(server);
    server.ctx.processInlineWaitMs = 20;
    let started: { status: number; body: { job: JobJson } };
    try {
      started = await admin.post(`/api/v1/datasets/${source}/process`, { pipeline: 'dedupe' });
    } finally {
      server.ctx.processInlineWaitMs = 60_000;
      resume();
    }
    expect(started.status).toBe(202);
    expect(started.body.job).toMatchObject({ status: 'running', total: 1 });
    const job = (await followJob(admin, started.body.job.id, settled)).at(-1)!;
    expect(job.status).toBe('succeeded');
    expect((await admin.get(`/api/v1/datasets/${job.datasetId}`)).body.itemCount).toBe(1);
  });

  it('leaves no half-made dataset when processing fails, and says so on the job', async () => {
    const w = await world(server).org('acme').dataset('fragile').build();
    const admin = w.orgs.acme!.admin;
    const source = w.datasets.fragile!;
    const items = (
      await upload(admin, source, [
        { name: 'a.txt', content: Buffer.from('fragile a') },
        { name: 'b.txt', content: Buffer.from('fragile b') },
      ])
    ).body.items;
    const layer = (await admin.post(`/api/v1/datasets/${source}/layers`, { name: 'objects' })).body;
    await admin.post(`/api/v1/layers/${layer.id}/annotations`, { itemId: items[0].id, label: 'car' });
    const blobsBefore = blobFiles(server).length;

    // Everything is written, then the commit fails: nothing of it may remain.
    const db = server.ctx.db;
    const transaction = db.transaction.bind(db);
    db.transaction = (() => ({
      execute: (work: (tx: typeof db) => Promise<unknown>) =>
        transaction().execute(async (tx) => {
          await work(tx);
          throw new Error('the disk filled up at commit');
        }),
    })) as unknown as typeof db.transaction;
    let res: { status: number; body: unknown };
    try {
      res = await admin.post(`/api/v1/datasets/${source}/process`, { pipeline: 'dedupe' });
    } finally {
      db.transaction = transaction;
    }
    expect(res.status).toBe(500);
    expect(JSON.stringify(res.body)).not.toContain('disk');
    expect(await db.selectFrom('datasets').select('id').where('predecessor_id', '=', source).execute()).toEqual([]);
    const [job] = await db.selectFrom('jobs').selectAll().where('source_dataset_id', '=', source).execute();
    const shown = (await admin.get(`/api/v1/jobs/${job!.id}`)).body;
    expect(shown).toMatchObject({ status: 'failed', error: 'Processing failed; nothing was created. Try again.' });
    expect(shown.datasetId).toBeUndefined();
    const events = (await admin.get(`/api/v1/orgs/${w.orgs.acme!.id}/audit`)).body.items.map((e: { action: string }) => e.action);
    expect(events).not.toContain('dataset.processed');
    expect(blobFiles(server).length).toBe(blobsBefore);
    expect((await admin.get(`/api/v1/datasets/${source}/items`)).body.items).toHaveLength(2);
  });

  it('fails the job, creating nothing, when its dataset is deleted while it runs', async () => {
    const w = await world(server).org('acme').dataset('doomed').build();
    const admin = w.orgs.acme!.admin;
    const source = w.datasets.doomed!;
    await upload(
      admin,
      source,
      Array.from({ length: 6 }, (_, i) => ({ name: `f${i}.txt`, content: Buffer.from(`doomed ${i}`) })),
    );
    const resume = pauseProcessing(server);
    let jobId: string;
    try {
      const started = await admin.post(`/api/v1/datasets/${source}/process`, { pipeline: 'dedupe' });
      expect(started.status).toBe(202);
      jobId = started.body.job.id;
      await followJob(admin, jobId, (job) => job.done === 6);
      expect((await admin.delete(`/api/v1/datasets/${source}`)).status).toBe(204);
    } finally {
      resume();
    }
    const job = (await followJob(admin, jobId, settled)).at(-1)!;
    expect(job).toMatchObject({ status: 'failed', error: expect.stringContaining('deleted') });
    expect(await server.ctx.db.selectFrom('datasets').select('id').where('predecessor_id', '=', source).execute()).toEqual([]);
  });
});
