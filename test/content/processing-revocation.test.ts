import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../helpers/client.js';
import { TestClock } from '../helpers/clock.js';
import { DATABASES } from '../helpers/databases.js';
import { pauseProcessing, settled, until } from '../helpers/jobs.js';
import { PUBLIC_URL, startTestServer, type TestServer } from '../helpers/server.js';
import { upload } from '../helpers/upload.js';
import { type World, world } from '../helpers/world.js';

/** The org admin removes `user` from the organization, from the web app (a bodyless change carries its Origin). */
async function removeFromOrg(w: World, user: Actor): Promise<number> {
  const org = w.orgs.acme!;
  return (await org.admin.request('DELETE', `/api/v1/orgs/${org.id}/members/${user.id}`, undefined, { origin: PUBLIC_URL })).status;
}

/** Ways an org admin takes away what processing needs while a job of the writer's runs. */
const REVOCATIONS: { what: string; ok: number; revoke: (w: World) => Promise<number> }[] = [
  {
    what: 'removed from the organization',
    ok: 204,
    revoke: (w) => removeFromOrg(w, w.users.writer!),
  },
  {
    what: 'no longer allowed to process datasets',
    ok: 200,
    revoke: async (w) =>
      (await w.orgs.acme!.admin.patch(`/api/v1/orgs/${w.orgs.acme!.id}/members/${w.users.writer!.id}`, { processDatasets: false })).status,
  },
  {
    what: 'lowered to annotate on the source',
    ok: 200,
    revoke: async (w) =>
      (await w.orgs.acme!.admin.put(`/api/v1/datasets/${w.datasets.frames}/sharing/users/${w.users.writer!.id}`, { level: 'annotate' }))
        .status,
  },
];

describe.each(DATABASES)('processing acts only with what its starter may still do (%s)', (db) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ db, clock: new TestClock(), processInlineLimit: 5 });
  });
  afterAll(async () => {
    await server.close();
  });

  /** An external-tier dataset of `files` items, a writer on it who may process, and a team with read. */
  async function frames(files: number) {
    const w = await world(server)
      .org('acme')
      .member('writer')
      .member('viewer')
      .team('viewers', ['viewer'])
      .dataset('frames', { tier: 'external' })
      .grant('frames', 'writer', 'write')
      .teamGrant('frames', 'viewers', 'read')
      .build();
    const admin = w.orgs.acme!.admin;
    await admin.patch(`/api/v1/orgs/${w.orgs.acme!.id}/members/${w.users.writer!.id}`, { processDatasets: true });
    const source = w.datasets.frames!;
    const content = Array.from({ length: files }, (_, i) => ({ name: `f${i}.txt`, content: Buffer.from(`${source} ${i % 3}`) }));
    await upload(admin, source, content);
    return { w, admin, writer: w.users.writer!, source };
  }

  const successors = async (source: string) =>
    server.ctx.db.selectFrom('datasets').select('id').where('predecessor_id', '=', source).execute();

  const orgActions = async (w: World) =>
    (await w.orgs.acme!.admin.get(`/api/v1/orgs/${w.orgs.acme!.id}/audit`)).body.items.map((e: { action: string }) => e.action);

  it.each(REVOCATIONS)('fails a background job, creating nothing, when its starter is $what while it runs', async ({ ok, revoke }) => {
    const { w, admin, writer, source } = await frames(8);
    const resume = pauseProcessing(server);
    let jobId: string;
    try {
      const started = await writer.post(`/api/v1/datasets/${source}/process`, { pipeline: 'dedupe', carrySharing: true });
      expect(started.status).toBe(202);
      jobId = started.body.job.id;
      await until(writer, jobId, (job) => job.done === 8);
      expect(await revoke(w)).toBe(ok);
    } finally {
      resume();
    }
    const job = await until(admin, jobId, settled);
    expect(job).toMatchObject({ status: 'failed', error: expect.stringContaining('may no longer process') });
    expect(job.datasetId).toBeUndefined();
    // The starter still sees how their job ended.
    expect((await writer.get(`/api/v1/jobs/${jobId}`)).body).toMatchObject({ status: 'failed' });
    expect(await successors(source)).toEqual([]);
    expect((await admin.get(`/api/v1/datasets/${source}/lineage`)).body.successors).toEqual([]);
    // Nothing in the log (nor, written with it, in any webhook) claims a copy was made.
    const actions = await orgActions(w);
    expect(actions).not.toContain('dataset.processed');
    expect(actions.filter((a: string) => a === 'dataset.created')).toHaveLength(1);
  });

  it('answers the waiting request with a refusal, creating nothing, when the starter is removed before a small job commits', async () => {
    const { w, writer, source } = await frames(3);
    const resume = pauseProcessing(server);
    let answer: Promise<{ status: number; body: { error: { message: string } } }>;
    try {
      answer = writer.post(`/api/v1/datasets/${source}/process`, { pipeline: 'dedupe', carrySharing: true });
      const deadline = Date.now() + 10_000;
      let job: { id: string; done: number } | undefined;
      while (!(job && Number(job.done) === 3) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 25));
        job = await server.ctx.db.selectFrom('jobs').select(['id', 'done']).where('source_dataset_id', '=', source).executeTakeFirst();
      }
      expect(Number(job?.done)).toBe(3);
      expect(await removeFromOrg(w, writer)).toBe(204);
    } finally {
      resume();
    }
    const res = await answer;
    expect(res.status).toBe(403);
    expect(res.body.error.message).toContain('may no longer process');
    expect(await successors(source)).toEqual([]);
    expect(await orgActions(w)).not.toContain('dataset.processed');
  });

  it('applies the same check to a queued job run later, as after a crash', async () => {
    const { w, admin, writer, source } = await frames(8);
    await server.ctx.jobs.stop(0);
    let jobId: string;
    try {
      const started = await writer.post(`/api/v1/datasets/${source}/process`, { pipeline: 'dedupe', carrySharing: true });
      expect(started.status).toBe(202);
      expect(started.body.job.status).toBe('queued');
      jobId = started.body.job.id;
      expect(await removeFromOrg(w, writer)).toBe(204);
    } finally {
      await server.ctx.jobs.start(server.ctx);
    }
    expect(await until(admin, jobId, settled)).toMatchObject({
      status: 'failed',
      error: expect.stringContaining('may no longer process'),
    });
    expect(await successors(source)).toEqual([]);
  });

  it('gives a writer write on the copy, not admin: they use it but cannot share it beyond the source', async () => {
    const { w, admin, writer, source } = await frames(3);
    const made = await writer.post(`/api/v1/datasets/${source}/process`, { pipeline: 'dedupe', carrySharing: true });
    expect(made.status).toBe(201);
    expect(made.body).toMatchObject({ visibility: 'external', myLevel: 'write', predecessorId: source });
    expect(made.body.allowedActions).toContain('dataset.upload');
    expect(made.body.allowedActions).not.toContain('dataset.share');
    const copy = made.body.id;
    // What the reply said is what a read of the copy says.
    const read = await writer.get(`/api/v1/datasets/${copy}`);
    expect(read.body).toMatchObject({ myLevel: 'write', allowedActions: made.body.allowedActions });
    expect((await writer.get(`/api/v1/datasets/${copy}/items`)).body.items).toHaveLength(3);
    expect((await writer.patch(`/api/v1/datasets/${copy}`, { description: 'cleaned' })).status).toBe(200);

    const expiresAt = new Date(server.clock.now() + 86_400_000).toISOString();
    expect((await writer.post(`/api/v1/datasets/${copy}/links`, { name: 'partners', level: 'read', expiresAt })).status).toBe(403);
    expect((await writer.post(`/api/v1/datasets/${copy}/invitations`, { emails: ['partner@elsewhere.test'], level: 'read' })).status).toBe(
      403,
    );
    expect((await writer.put(`/api/v1/datasets/${copy}/sharing/users/${w.users.viewer!.id}`, { level: 'write' })).status).toBe(403);
    expect((await writer.get(`/api/v1/datasets/${copy}/sharing`)).status).toBe(403);

    // Carried grants come over as they were; the starter's own stays at their level on the source.
    const sharing = (await admin.get(`/api/v1/datasets/${copy}/sharing`)).body;
    const users = sharing.users.map((u: { user: { id: string }; level: string }) => [u.user.id, u.level]);
    expect(users.sort()).toEqual(
      [
        [admin.id, 'admin'],
        [writer.id, 'write'],
      ].sort(),
    );
    expect(sharing.teams.map((t: { team: { id: string }; level: string }) => [t.team.id, t.level])).toEqual([[w.teams.viewers, 'read']]);
    const inventory = (await writer.get(`/api/v1/datasets?orgId=${w.orgs.acme!.id}`)).body.items;
    expect(inventory.find((d: { id: string }) => d.id === copy)).toMatchObject({ myLevel: 'write' });
  });

  it('gives the starter their level on the copy for as long as their grants on the source give it', async () => {
    const { w, admin, writer, source } = await frames(3);
    const day = 86_400_000;
    const iso = (at: number) => new Date(at).toISOString();
    const now = server.clock.now();
    // Write through a direct grant that ends in two days and a team grant that ends in five.
    await admin.put(`/api/v1/datasets/${source}/sharing/users/${writer.id}`, { level: 'write', expiresAt: iso(now + 2 * day) });
    const team = (await admin.post(`/api/v1/orgs/${w.orgs.acme!.id}/teams`, { name: 'curators' })).body.id;
    expect((await admin.put(`/api/v1/teams/${team}/members/${writer.id}`, {})).status).toBe(204);
    await admin.put(`/api/v1/datasets/${source}/sharing/teams/${team}`, { level: 'write', expiresAt: iso(now + 5 * day) });
    const ends = async (copy: string) =>
      (
        await server.ctx.db
          .selectFrom('user_grants')
          .select('expires_at')
          .where('dataset_id', '=', copy)
          .where('user_id', '=', writer.id)
          .executeTakeFirstOrThrow()
      ).expires_at;
    const made = await writer.post(`/api/v1/datasets/${source}/process`, { pipeline: 'dedupe' });
    expect(made.body).toMatchObject({ myLevel: 'write' });
    expect(Number(await ends(made.body.id))).toBe(now + 5 * day);
    // Write that never ends (as the organization's admin grants it) gives write that never ends.
    await admin.put(`/api/v1/datasets/${source}/sharing/users/${writer.id}`, { level: 'write' });
    const lasting = await writer.post(`/api/v1/datasets/${source}/process`, { pipeline: 'dedupe' });
    expect(await ends(lasting.body.id)).toBeNull();
  });

  it('gives a writer write on a private copy made in the background, and a dataset admin admin', async () => {
    const { admin, writer, source } = await frames(8);
    const started = await writer.post(`/api/v1/datasets/${source}/process`, { pipeline: 'dedupe' });
    expect(started.status).toBe(202);
    const job = await until(writer, started.body.job.id, settled);
    expect(job.status).toBe('succeeded');
    const copy = await writer.get(`/api/v1/datasets/${job.datasetId}`);
    expect(copy.body).toMatchObject({ visibility: 'admins', myLevel: 'write' });
    expect(copy.body.allowedActions).not.toContain('dataset.share');

    await admin.put(`/api/v1/datasets/${source}/sharing/users/${writer.id}`, { level: 'admin' });
    const asAdmin = await writer.post(`/api/v1/datasets/${source}/process`, { pipeline: 'dedupe' });
    const adminJob = await until(writer, asAdmin.body.job.id, settled);
    const adminCopy = await writer.get(`/api/v1/datasets/${adminJob.datasetId}`);
    expect(adminCopy.body).toMatchObject({ myLevel: 'admin' });
    expect(adminCopy.body.allowedActions).toContain('dataset.share');
  });
});
