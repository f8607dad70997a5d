import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { DATABASES, type DatabaseKind, POSTGRES_URL } from '../helpers/databases.js';
import { type ServerProcess, spawnTessera, waitForExit } from '../helpers/process.js';

async function call(base: string, method: string, url: string, token: string | null, body?: unknown) {
  const res = await fetch(`${base}${url}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json().catch(() => null)) as any };
}

/** The secret of a link in the dev outbox of a server process, waiting for the mail at most 5 s. */
async function outboxLink(dataDir: string, kind: string): Promise<string> {
  const dir = path.join(dataDir, 'outbox');
  for (let tries = 0; tries < 50; tries++) {
    for (const file of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
      const text = fs
        .readFileSync(path.join(dir, file), 'utf8')
        .replace(/=\r?\n/g, '')
        .replace(/=3D/g, '=');
      const match = new RegExp(`/${kind}#token=([A-Za-z0-9_-]+)`).exec(text);
      if (match) return match[1]!;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no ${kind} link in the outbox`);
}

/** A database for one run: a SQLite file in a temporary folder, or a PostgreSQL database of its own. */
async function environment(kind: DatabaseKind): Promise<{ env: Record<string, string>; cleanup: () => Promise<void> }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-crash-'));
  if (kind === 'sqlite') return { env: { DATA_DIR: dataDir }, cleanup: async () => fs.rmSync(dataDir, { recursive: true, force: true }) };
  const name = `tessera_crash_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    env: { DATA_DIR: dataDir, DATABASE_URL: url.toString() },
    cleanup: async () => {
      const c = new pg.Client({ connectionString: POSTGRES_URL });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

describe.each(DATABASES)('kill -9 while writes are in flight (%s)', (kind) => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanups) await c();
  });

  it('keeps every write that was answered 2xx', async () => {
    const { env, cleanup } = await environment(kind);
    cleanups.push(cleanup);
    let server: ServerProcess = await spawnTessera(env);

    const signup = await fetch(`${server.url}/api/v1/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'crash@example.test', password: 'long enough password', name: 'Crash' }),
    });
    const cookie = /tessera_session=[^;]+/.exec(signup.headers.get('set-cookie') ?? '')![0];
    const verified = await fetch(`${server.url}/api/v1/auth/verify-email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie },
      body: JSON.stringify({ token: await outboxLink(env.DATA_DIR!, 'verify') }),
    });
    expect(verified.status).toBe(204);
    const tokenRes = await fetch(`${server.url}/api/v1/me/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie },
      body: JSON.stringify({ name: 'writer' }),
    });
    const token = ((await tokenRes.json()) as { token: string }).token;
    const org = await call(server.url, 'POST', '/api/v1/orgs', token, { name: 'Crash Co' });
    expect(org.status).toBe(201);

    const acknowledged: string[] = [];
    let stop = false;
    const writer = async (n: number) => {
      for (let i = 0; !stop && i < 10_000; i += 1) {
        try {
          const res = await call(server.url, 'POST', `/api/v1/orgs/${org.body.id}/datasets`, token, { name: `w${n}-${i}` });
          if (res.status === 201) acknowledged.push(res.body.id);
        } catch {
          return; // the connection died with the server
        }
      }
    };
    const writers = Array.from({ length: 8 }, (_, n) => writer(n));
    while (acknowledged.length < 40) await new Promise((r) => setTimeout(r, 20));
    server.child.kill('SIGKILL');
    stop = true;
    await waitForExit(server.child);
    await Promise.all(writers);
    expect(acknowledged.length).toBeGreaterThanOrEqual(40);

    server = await spawnTessera(env);
    try {
      for (const id of acknowledged) {
        const res = await call(server.url, 'GET', `/api/v1/datasets/${id}`, token);
        expect(res.status, `dataset ${id} was acknowledged before the crash`).toBe(200);
      }
    } finally {
      server.child.kill('SIGTERM');
      expect(await waitForExit(server.child)).toBe(0);
    }
  });
});
