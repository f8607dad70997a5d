import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { DATABASES } from '../helpers/databases.js';
import { call, freePort, processDatabase, type ServerProcess, spawnTessera, verifiedToken, waitForExit } from '../helpers/process.js';
import { SmtpSink } from '../helpers/smtp.js';

/** An org admin with a token, on a running instance. */
async function orgAdmin(base: string, env: Record<string, string>): Promise<{ token: string; orgId: string }> {
  const token = await verifiedToken(base, env);
  const org = await call(base, 'POST', '/api/v1/orgs', token, { name: 'Nothing Lost' });
  expect(org.status).toBe(201);
  return { token, orgId: org.body.id };
}

async function invitations(base: string, token: string, orgId: string): Promise<{ email: string; delivery: string }[]> {
  return (await call(base, 'GET', `/api/v1/orgs/${orgId}/invitations?limit=200`, token)).body.items;
}

async function eventually(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const messageIdOf = (raw: string) => /^Message-ID: (.+)$/im.exec(raw)?.[1]?.trim();

describe.each(DATABASES)('nothing lost across crashes and restarts (%s)', (kind) => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanups) await c();
  });

  it('delivers mail queued before a kill -9, while the mail server was down, once both are back', { timeout: 120_000 }, async () => {
    const { env, drop: cleanup } = await processDatabase(kind, 'lost');
    cleanups.push(cleanup);
    const smtpPort = await freePort();
    Object.assign(env, { SMTP_URL: `smtp://127.0.0.1:${smtpPort}` });
    let server: ServerProcess = await spawnTessera(env);
    const { token, orgId } = await orgAdmin(server.url, env);
    const emails = Array.from({ length: 6 }, (_, i) => `crash-${i}@example.test`);
    const invited = await call(server.url, 'POST', `/api/v1/orgs/${orgId}/invitations`, token, { emails, role: 'member' });
    expect(invited.status).toBe(201);
    expect(invited.body.items.map((i: { delivery: string }) => i.delivery)).toEqual(emails.map(() => 'queued'));
    server.child.kill('SIGKILL');
    await waitForExit(server.child);

    const sink = await SmtpSink.start(smtpPort);
    cleanups.push(() => sink.close());
    server = await spawnTessera(env);
    try {
      for (const email of emails) await sink.waitFor((m) => m.to.includes(email), 60_000);
      await eventually(
        async () => (await invitations(server.url, token, orgId)).every((i) => i.delivery === 'sent'),
        10_000,
        'every invitation says sent',
      );
      // At least once, and a repeat is recognisable: one Message-ID per address.
      for (const email of emails) expect(new Set(sink.to(email).map((m) => messageIdOf(m.raw))).size).toBe(1);
    } finally {
      server.child.kill('SIGTERM');
      expect(await waitForExit(server.child)).toBe(0);
    }
  });

  it('loses nothing when SIGTERM arrives in the middle of slow SMTP conversations', { timeout: 120_000 }, async () => {
    const { env, drop: cleanup } = await processDatabase(kind, 'lost');
    cleanups.push(cleanup);
    const sink = await SmtpSink.start();
    cleanups.push(() => sink.close());
    sink.delayMs = 2_000;
    Object.assign(env, { SMTP_URL: sink.url });
    let server: ServerProcess = await spawnTessera(env);
    const { token, orgId } = await orgAdmin(server.url, env);
    // More than one batch: some are under way at SIGTERM, the rest still queued.
    const emails = Array.from({ length: 8 }, (_, i) => `term-${i}@example.test`);
    // The admin's own verification mail goes through the same sink: let it leave first, then count the invitations only.
    await sink.waitFor((m) => /Confirm your e-mail/.test(m.subject), 30_000);
    const invitationMail = () => sink.messages.filter((m) => emails.some((email) => m.to.includes(email)));
    const started = sink.dataStarted;
    expect((await call(server.url, 'POST', `/api/v1/orgs/${orgId}/invitations`, token, { emails, role: 'member' })).status).toBe(201);
    await eventually(async () => sink.dataStarted > started, 15_000, 'a conversation is under way');
    expect(invitationMail()).toHaveLength(0);
    server.child.kill('SIGTERM');
    expect(await waitForExit(server.child)).toBe(0);
    // The conversations under way were finished before the process left.
    const beforeRestart = invitationMail().length;
    expect(beforeRestart).toBeGreaterThan(0);

    sink.delayMs = 0;
    server = await spawnTessera(env);
    try {
      for (const email of emails) await sink.waitFor((m) => m.to.includes(email), 30_000);
      await eventually(
        async () => (await invitations(server.url, token, orgId)).every((i) => i.delivery === 'sent'),
        10_000,
        'every invitation says sent',
      );
      expect(invitationMail()).toHaveLength(emails.length);
    } finally {
      server.child.kill('SIGTERM');
      expect(await waitForExit(server.child)).toBe(0);
    }
  });
});

describe('two instances on one PostgreSQL', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('finish a job whose instance was killed mid-way on the other instance, committed once', { timeout: 150_000 }, async () => {
    const { env, databaseUrl, drop: cleanup } = await processDatabase('postgres', 'lost');
    cleanups.push(cleanup);
    const a = await spawnTessera(env);
    const b = await spawnTessera(env);
    cleanups.push(async () => {
      b.child.kill('SIGTERM');
      await waitForExit(b.child);
    });
    const { token, orgId } = await orgAdmin(a.url, env);
    const dataset = await call(a.url, 'POST', `/api/v1/orgs/${orgId}/datasets`, token, { name: 'huge' });
    const form = new FormData();
    form.append('file', new Blob(['the same bytes']), 'a.txt');
    const uploaded = await fetch(`${a.url}/api/v1/datasets/${dataset.body.id}/items`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: form,
    });
    expect(uploaded.status).toBe(201);
    // Many copies of one file: enough to run in the background for a while.
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    cleanups.push(() => db.end());
    await db.query(
      `insert into items (id, dataset_id, name, size, content_type, sha256, created_by, created_at)
       select i.id || '-' || lpad(g::text, 6, '0'), i.dataset_id, i.name, i.size, i.content_type, i.sha256, i.created_by, i.created_at
       from items i, generate_series(1, 30000) g where i.dataset_id = $1`,
      [dataset.body.id],
    );

    const started = await call(a.url, 'POST', `/api/v1/datasets/${dataset.body.id}/process`, token, { pipeline: 'dedupe' });
    expect(started.status).toBe(202);
    a.child.kill('SIGKILL');
    await waitForExit(a.child);
    const { rows } = await db.query('select status from jobs where id = $1', [started.body.job.id]);
    expect(rows[0].status).toBe('running');

    let job: any;
    await eventually(
      async () => {
        job = (await call(b.url, 'GET', `/api/v1/jobs/${started.body.job.id}`, token)).body;
        return job.status !== 'running' && job.status !== 'queued';
      },
      120_000,
      'the other instance finished the job',
    );
    expect(job).toMatchObject({ status: 'succeeded', done: 30_001, total: 30_001 });
    const successors = await db.query('select id, item_count from datasets where predecessor_id = $1', [dataset.body.id]);
    expect(successors.rows).toEqual([{ id: job.datasetId, item_count: 1 }]);
  });
});
