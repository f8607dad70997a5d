/**
 * Faults Tessera must survive:
 *   - PostgreSQL restarted under load: clients get 503 with Retry-After, then it recovers; nothing acknowledged is lost
 *   - the SMTP server down: invitations are created, and delivered once it is back
 *   - kill -9 with mail queued while the SMTP server is down: every message arrives after the restart
 *   - kill -9 during a processing job: no half-made dataset after the restart
 *   - a full disk during an upload: a clear 507, no torn file, no row
 * It restarts the machine's PostgreSQL: run it alone, never beside other tests.
 *   npm run test:faults [-- --short]
 */
import { exec, execSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../test/helpers/process.js';
import { SmtpSink } from '../../test/helpers/smtp.js';
import { multipart } from '../../test/helpers/upload.js';
import { Checks, call, environment, flag, seed, startServers, stopServers, storedLevel } from './harness.js';
import { type LaneModel, lostWrites, newTally, runLane } from './workload.js';

const short = flag('short');
const run = (command: string) => promisify(exec)(command, { shell: '/bin/bash' });
const checks = new Checks();

async function postgresRestartUnderLoad(): Promise<void> {
  const sink = await SmtpSink.start();
  const env = await environment('postgres', { SMTP_URL: sink.url });
  const servers = await startServers(env.env, 2);
  try {
    const seeded = await seed(env.store, 16);
    const models: LaneModel[] = seeded.lanes.map((lane) => ({ lane, userLevel: null, inviteeLevel: null, triedLinks: new Set<string>() }));
    const tally = newTally();
    const until = Date.now() + (short ? 8_000 : 30_000);
    const load = Promise.all(
      models.map((m) =>
        runLane(
          m,
          seeded,
          servers.map((s) => s.url),
          sink,
          tally,
          until,
          10,
          true,
        ),
      ),
    );
    await new Promise((r) => setTimeout(r, 2_000));
    // Watch one instance answer while the database is down.
    const probe = (async () => {
      const seen: { status: number; retryAfter: string | null }[] = [];
      for (let i = 0; i < 80; i += 1) {
        const res = await call(servers[0]!.url, seeded.adminToken, 'GET', `/api/v1/datasets/${seeded.lanes[0]!.datasetId}`).catch(
          () => null,
        );
        if (res) seen.push({ status: res.status, retryAfter: res.retryAfter });
        await new Promise((r) => setTimeout(r, 50));
      }
      return seen;
    })();
    // Asynchronously, so the clients and the probe keep talking while the database is down.
    await run('pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql | head -n1) main stop');
    await new Promise((r) => setTimeout(r, 1_000));
    await run('pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql | head -n1) main start');
    const seen = await probe;
    await load;
    const unavailable = seen.filter((s) => s.status === 503);
    const lost = await lostWrites(models, storedLevel(env.store));
    const after = await call(servers[1]!.url, seeded.adminToken, 'GET', '/api/v1/datasets?limit=5');
    console.log(
      `restart under load: ${tally.requests} requests, ${tally.unavailable} answered 503 and retried; probe saw ${unavailable.length} × 503`,
    );
    checks.check(
      unavailable.length > 0 && unavailable.every((s) => s.retryAfter !== null),
      `PostgreSQL restart: clients are told 503 with Retry-After while it is down (${unavailable.length})`,
    );
    checks.check(
      seen.every((s) => s.status === 200 || s.status === 503),
      `PostgreSQL restart: answers are 200 or 503, nothing else (${[...new Set(seen.map((s) => s.status))].join(', ')})`,
    );
    checks.check(
      after.status === 200 && tally.fiveHundreds === 0,
      'PostgreSQL restart: both instances recover, no request failed for good',
    );
    checks.check(
      tally.wrongDecisions.length === 0 && lost.length === 0,
      `PostgreSQL restart: no wrong decision, no acknowledged write lost${lost.length ? ` (${lost[0]})` : ''}`,
    );
  } finally {
    await stopServers(servers);
    await sink.close();
    await env.cleanup();
  }
}

async function smtpDown(): Promise<void> {
  const port = await freePort();
  const env = await environment('sqlite', { SMTP_URL: `smtp://127.0.0.1:${port}` });
  const [server] = await startServers(env.env, 1);
  let sink: SmtpSink | null = null;
  try {
    const seeded = await seed(env.store, 1);
    await env.store.db.updateTable('datasets').set({ visibility: 'external' }).execute();
    const ds = `/api/v1/datasets/${seeded.lanes[0]!.datasetId}`;
    const invited = await call(server!.url, seeded.adminToken, 'POST', `${ds}/invitations`, {
      emails: ['partner@faults.test'],
      level: 'read',
    });
    checks.check(invited.status === 201, `SMTP down: the invitation is created (${invited.status})`);
    await new Promise((r) => setTimeout(r, 500));
    sink = await SmtpSink.start(port);
    const mail = await sink.waitFor((m) => m.to.includes('partner@faults.test'), 30_000).catch(() => null);
    const deliveries = await settledDeliveries(server!.url, seeded.adminToken, ds, 1);
    checks.check(mail !== null && deliveries[0] === 'sent', 'SMTP down: delivered once the server is back, and shown as sent');
  } finally {
    await stopServers([server!]);
    await sink?.close();
    await env.cleanup();
  }
}

/**
 * The dataset's invitations' delivery states once `count` of them show as sent, or as they are
 * after 15 s: the sink has the message before the server has its reply and records it.
 */
async function settledDeliveries(url: string, token: string, ds: string, count: number): Promise<string[]> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const sharing = await call(url, token, 'GET', `${ds}/sharing`);
    const deliveries = ((sharing.body.invitations ?? []) as { delivery: string }[]).map((i) => i.delivery);
    if ((deliveries.length === count && deliveries.every((d) => d === 'sent')) || Date.now() > deadline) return deliveries;
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function killWithMailQueued(kind: 'sqlite' | 'postgres'): Promise<void> {
  const port = await freePort();
  const env = await environment(kind, { SMTP_URL: `smtp://127.0.0.1:${port}` });
  let [server] = await startServers(env.env, 1);
  let sink: SmtpSink | null = null;
  try {
    const seeded = await seed(env.store, 1);
    await env.store.db.updateTable('datasets').set({ visibility: 'external' }).execute();
    const ds = `/api/v1/datasets/${seeded.lanes[0]!.datasetId}`;
    const emails = Array.from({ length: 5 }, (_, i) => `queued-${i}@faults.test`);
    const invited = await call(server!.url, seeded.adminToken, 'POST', `${ds}/invitations`, { emails, level: 'read' });
    server!.child.kill('SIGKILL');
    checks.check(invited.status === 201, `kill -9 with mail queued (${kind}): the invitations are created (${invited.status})`);
    sink = await SmtpSink.start(port);
    [server] = await startServers(env.env, 1);
    const arrived = await Promise.all(emails.map((e) => sink!.waitFor((m) => m.to.includes(e), 60_000).catch(() => null)));
    const deliveries = await settledDeliveries(server!.url, seeded.adminToken, ds, emails.length);
    checks.check(
      arrived.every((m) => m !== null) && deliveries.length === emails.length && deliveries.every((d) => d === 'sent'),
      `kill -9 with mail queued (${kind}): every message arrives after the restart and shows as sent (${deliveries.join(', ')})`,
    );
  } finally {
    await stopServers([server!]);
    await sink?.close();
    await env.cleanup();
  }
}

async function killDuringProcessing(): Promise<void> {
  const env = await environment('sqlite');
  let [server] = await startServers(env.env, 1);
  try {
    const seeded = await seed(env.store, 1);
    const source = seeded.lanes[0]!.datasetId;
    const rows = Array.from({ length: 6_000 }, (_, i) => ({
      id: `item_${String(i).padStart(6, '0')}`,
      dataset_id: source,
      name: `f${i}`,
      size: 1,
      content_type: 'text/plain',
      sha256: (i % 3_000).toString(16).padStart(64, '0'),
      created_by: null,
      created_at: 0,
    }));
    for (let i = 0; i < rows.length; i += 500)
      await env.store.db
        .insertInto('items')
        .values(rows.slice(i, i + 500))
        .execute();
    const started = await call(server!.url, seeded.adminToken, 'POST', `/api/v1/datasets/${source}/process`, { pipeline: 'dedupe' });
    server!.child.kill('SIGKILL');
    checks.check(started.status === 202, `kill -9: the job ran in the background (${started.status})`);
    [server] = await startServers(env.env, 1);
    const made = await env.store.db.selectFrom('datasets').select(['id', 'item_count']).where('predecessor_id', '=', source).execute();
    const complete = await Promise.all(
      made.map(async (d) => {
        const n = await env.store.db
          .selectFrom('items')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('dataset_id', '=', d.id)
          .executeTakeFirstOrThrow();
        return Number(n.n) === 3_000 && Number(d.item_count) === 3_000;
      }),
    );
    checks.check(
      complete.every(Boolean),
      `kill -9 during processing: no half-made dataset (${made.length} made, complete: ${complete.join(', ') || 'none'})`,
    );
  } finally {
    await stopServers([server!]);
    await env.cleanup();
  }
}

async function fullDisk(): Promise<void> {
  const env = await environment('sqlite', { MAX_UPLOAD_MB: '10' });
  const blobs = path.join(env.env.DATA_DIR!, 'blobs');
  fs.mkdirSync(blobs, { recursive: true });
  try {
    execSync(`mount -t tmpfs -o size=1m tmpfs ${blobs}`);
  } catch {
    checks.check(false, 'full disk: could not mount a 1 MB tmpfs (needs root)');
    await env.cleanup();
    return;
  }
  const [server] = await startServers(env.env, 1);
  try {
    const seeded = await seed(env.store, 1);
    const url = `${server!.url}/api/v1/datasets/${seeded.lanes[0]!.datasetId}/items`;
    const send = async (bytes: Buffer) => {
      const body = multipart([{ name: 'big.bin', content: bytes }]);
      const res = await fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${seeded.adminToken}`, 'content-type': body.contentType },
        body: body.payload,
      });
      return { status: res.status, body: (await res.json()) as any };
    };
    const full = await send(randomBytes(2 * 1024 * 1024));
    const items = await env.store.db.selectFrom('items').select('id').execute();
    const left = fs.readdirSync(blobs, { recursive: true }).filter((f) => fs.statSync(path.join(blobs, String(f))).isFile());
    checks.check(
      full.status === 507 && full.body.error?.code === 'insufficient_storage',
      `full disk: a clear 507 (${full.status} ${full.body.error?.code})`,
    );
    checks.check(
      items.length === 0 && left.length === 0,
      `full disk: no row and no torn file (${items.length} rows, ${left.length} files)`,
    );
    checks.check((await send(Buffer.from('small enough'))).status === 201, 'full disk: uploads work again once there is room');
  } finally {
    await stopServers([server!]);
    execSync(`umount ${blobs}`);
    await env.cleanup();
  }
}

await postgresRestartUnderLoad();
await smtpDown();
await killWithMailQueued('sqlite');
await killWithMailQueued('postgres');
await killDuringProcessing();
await fullDisk();
checks.finish();
