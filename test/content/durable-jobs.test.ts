import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobRunner } from '../../src/processing/runner.js';
import { DATABASES } from '../helpers/databases.js';
import { pauseProcessing, until } from '../helpers/jobs.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { upload } from '../helpers/upload.js';
import { world } from '../helpers/world.js';

describe.each(DATABASES)('durable processing jobs (%s)', (db) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ db, processInlineLimit: 5 });
  });
  afterAll(async () => {
    await server.close();
  });

  async function bigDataset(name: string) {
    const w = await world(server).org('acme').member('bob').dataset(name).build();
    const admin = w.orgs.acme!.admin;
    const source = w.datasets[name]!;
    const files = Array.from({ length: 8 }, (_, i) => ({ name: `f${i}.txt`, content: Buffer.from(`${name} ${i % 3}`) }));
    await upload(admin, source, files);
    return { w, admin, source };
  }

  const successors = async (source: string) =>
    server.ctx.db.selectFrom('datasets').select('id').where('predecessor_id', '=', source).execute();

  it('keeps a job queued while no instance takes jobs, and cancels it; only those who may see it may', async () => {
    const { w, admin, source } = await bigDataset('queued');
    await server.ctx.jobs.stop(0);
    let jobId: string;
    try {
      const started = await admin.post(`/api/v1/datasets/${source}/process`, { pipeline: 'dedupe' });
      expect(started.status).toBe(202);
      expect(started.body.job).toMatchObject({ status: 'queued', done: 0, total: 8 });
      jobId = started.body.job.id;
      expect((await w.users.bob!.post(`/api/v1/jobs/${jobId}/cancel`)).status).toBe(404);
      const cancelled = await admin.post(`/api/v1/jobs/${jobId}/cancel`);
      expect(cancelled.status).toBe(200);
      expect(cancelled.body).toMatchObject({ id: jobId, status: 'failed', error: 'cancelled' });
      const again = await admin.post(`/api/v1/jobs/${jobId}/cancel`);
      expect(again.status).toBe(409);
      expect(again.body.error.code).toBe('job_finished');
    } finally {
      await server.ctx.jobs.start(server.ctx);
    }
    await server.ctx.jobs.drain();
    expect((await admin.get(`/api/v1/jobs/${jobId}`)).body).toMatchObject({ status: 'failed', error: 'cancelled' });
    expect(await successors(source)).toEqual([]);
  });

  it('cancels a running job: its work stops and nothing is committed', async () => {
    const { admin, source } = await bigDataset('running');
    const resume = pauseProcessing(server);
    let jobId: string;
    try {
      const started = await admin.post(`/api/v1/datasets/${source}/process`, { pipeline: 'dedupe' });
      expect(started.status).toBe(202);
      jobId = started.body.job.id;
      await until(admin, jobId, (job) => job.done === 8);
      const cancelled = await admin.post(`/api/v1/jobs/${jobId}/cancel`);
      expect(cancelled.status).toBe(200);
      expect(cancelled.body).toMatchObject({ status: 'failed', error: 'cancelled' });
    } finally {
      resume();
    }
    await server.ctx.jobs.drain();
    expect((await admin.get(`/api/v1/jobs/${jobId}`)).body).toMatchObject({ status: 'failed', error: 'cancelled' });
    expect(await successors(source)).toEqual([]);
  });

  it('gives a job back to the queue when its instance stops before it is done, and runs it again', async () => {
    const { admin, source } = await bigDataset('stopped');
    const resume = pauseProcessing(server);
    let jobId: string;
    try {
      const started = await admin.post(`/api/v1/datasets/${source}/process`, { pipeline: 'dedupe' });
      jobId = started.body.job.id;
      await until(admin, jobId, (job) => job.done === 8);
      // Shutting down: the step under way does not finish within the grace, so the job is left queued.
      await server.ctx.jobs.stop(50);
      expect((await admin.get(`/api/v1/jobs/${jobId}`)).body).toMatchObject({ status: 'queued' });
    } finally {
      resume();
    }
    // The interrupted work cannot commit: the job is no longer its.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await successors(source)).toEqual([]);
    await server.ctx.jobs.start(server.ctx);
    const job = await until(admin, jobId, (j) => j.status === 'succeeded' || j.status === 'failed');
    expect(job).toMatchObject({ status: 'succeeded', done: 8, total: 8 });
    expect(await successors(source)).toEqual([{ id: job.datasetId }]);
  });

  it('commits the result once when a second runner takes over a job whose lease ran out and both finish', async () => {
    const { admin, source } = await bigDataset('raced');
    const resume = pauseProcessing(server);
    const other = new JobRunner(server.store, pino({ level: 'silent' }));
    let jobId: string;
    try {
      const started = await admin.post(`/api/v1/datasets/${source}/process`, { pipeline: 'dedupe' });
      jobId = started.body.job.id;
      await until(admin, jobId, (job) => job.done === 8);
      // As if the first runner had stalled past its lease (and lost it, so its heartbeat cannot renew
      // it): a live runner takes the job over while the first one's step is still under way.
      await server.ctx.db.updateTable('jobs').set({ lease_until: 0, claimed_by: 'inst_stalled' }).where('id', '=', jobId).execute();
      await other.start(server.ctx);
      const deadline = Date.now() + 20_000;
      let holder: string | null = 'inst_stalled';
      while (holder === 'inst_stalled' && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        const row = await server.ctx.db.selectFrom('jobs').select('claimed_by').where('id', '=', jobId).executeTakeFirstOrThrow();
        holder = row.claimed_by;
      }
      expect([other.instanceId, server.ctx.jobs.instanceId]).toContain(holder);
      await until(admin, jobId, (job) => job.status === 'running');
    } finally {
      resume();
    }
    const job = await until(admin, jobId, (j) => j.status !== 'running');
    expect(job.status).toBe('succeeded');
    await other.drain();
    await server.ctx.jobs.drain();
    await other.stop(0);
    expect(await successors(source)).toEqual([{ id: job.datasetId }]);
  });
});
