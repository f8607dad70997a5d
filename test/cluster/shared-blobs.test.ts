import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POSTGRES_URL } from '../helpers/databases.js';
import { type ServerProcess, spawnTessera, verifiedToken, waitForExit } from '../helpers/process.js';
import { type S3Server, startS3 } from '../helpers/s3.js';

const PREFIX = 'cluster';

/** Two real server processes on one PostgreSQL database and one bucket, each with a DATA_DIR of its own. */
describe('two instances sharing a bucket (BLOB_URL)', () => {
  let s3: S3Server;
  let database: string;
  const dataDirs: string[] = [];
  const servers: ServerProcess[] = [];
  let databaseUrl = '';
  beforeAll(async () => {
    s3 = await startS3();
    database = `tessera_blobs_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    await admin.query(`create database ${database}`);
    await admin.end();
    const url = new URL(POSTGRES_URL);
    url.pathname = `/${database}`;
    databaseUrl = url.toString();
    for (let i = 0; i < 2; i += 1) {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-instance-'));
      dataDirs.push(dataDir);
      // One after the other: both would migrate the fresh database at once otherwise.
      servers.push(await spawnTessera({ DATA_DIR: dataDir, DATABASE_URL: url.toString(), ...s3.env(PREFIX) }));
    }
  });
  afterAll(async () => {
    for (const server of servers) {
      server.child.kill('SIGTERM');
      await waitForExit(server.child);
    }
    const admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    await admin.query(`drop database if exists ${database} with (force)`);
    await admin.end();
    for (const dir of dataDirs) fs.rmSync(dir, { recursive: true, force: true });
    await s3.stop();
  });

  async function call(base: string, method: string, url: string, token: string, body?: unknown) {
    const res = await fetch(`${base}${url}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json().catch(() => null)) as any };
  }

  it('serves through one instance a file uploaded through the other, and deletes it through either', async () => {
    const [a, b] = servers as [ServerProcess, ServerProcess];
    const token = await verifiedToken(a.url, { DATABASE_URL: databaseUrl });
    const org = await call(a.url, 'POST', '/api/v1/orgs', token, { name: 'Shared Co' });
    const dataset = await call(a.url, 'POST', `/api/v1/orgs/${org.body.id}/datasets`, token, { name: 'scans' });
    expect(dataset.status).toBe(201);

    const bytes = randomBytes(3 * 1024 * 1024 + 17);
    const form = new FormData();
    form.append('file', new Blob([bytes]), 'scan.raw');
    const uploaded = await fetch(`${a.url}/api/v1/datasets/${dataset.body.id}/items`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: form,
    });
    expect(uploaded.status).toBe(201);
    const [item] = ((await uploaded.json()) as { items: { id: string; sha256: string }[] }).items;

    const whole = await fetch(`${b.url}/api/v1/items/${item!.id}/content`, { headers: { authorization: `Bearer ${token}` } });
    expect(whole.status).toBe(200);
    expect(Buffer.from(await whole.arrayBuffer()).equals(bytes)).toBe(true);
    const part = await fetch(`${b.url}/api/v1/items/${item!.id}/content`, {
      headers: { authorization: `Bearer ${token}`, range: 'bytes=1000-1999' },
    });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 1000-1999/${bytes.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(1000, 2000))).toBe(true);

    // Nothing lives on either instance's disk.
    for (const dir of dataDirs) expect(fs.existsSync(path.join(dir, 'blobs'))).toBe(false);
    expect(await s3.blobs(PREFIX)).toEqual([item!.sha256]);
    expect((await call(b.url, 'DELETE', `/api/v1/datasets/${dataset.body.id}`, token)).status).toBe(204);
    expect(await s3.blobs(PREFIX)).toEqual([]);
  });

  it('does not start with a BLOB_URL it cannot use, naming the variable', { timeout: 120_000 }, async () => {
    const dataDir = dataDirs[0]!;
    await expect(spawnTessera({ DATA_DIR: dataDir, BLOB_URL: 'gs://elsewhere' })).rejects.toThrow(/exited \(2\)[\s\S]*BLOB_URL/);
    await expect(spawnTessera({ DATA_DIR: dataDir, ...s3.env(), S3_FORCE_PATH_STYLE: 'yes' })).rejects.toThrow(
      /exited \(2\)[\s\S]*S3_FORCE_PATH_STYLE/,
    );
    await expect(spawnTessera({ DATA_DIR: dataDir, ...s3.env(), BLOB_URL: 's3://no-such-bucket' })).rejects.toThrow(
      /exited \(1\)[\s\S]*BLOB_URL[\s\S]*no-such-bucket/,
    );
  });
});
