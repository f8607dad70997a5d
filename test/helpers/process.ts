import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { type DatabaseKind, POSTGRES_URL, type TestDatabase } from './databases.js';

export const ROOT = path.resolve(import.meta.dirname, '../..');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  output: () => string;
}

/**
 * Tessera as a real OS process (node + the TypeScript sources), as `npm start` runs it: one
 * server process (WORKERS=1) unless `env` says otherwise.
 */
export async function spawnTessera(env: Record<string, string>, { startupMs = 30_000 } = {}): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', WORKERS: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (c) => (output += String(c)));
  child.stderr?.on('data', (c) => (output += String(c)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + startupMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`Tessera exited (${child.exitCode}): ${output}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`Tessera did not start: ${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, url, output: () => output };
}

export async function waitForExit(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

export interface CommandRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The operator command `tessera` as its own process, from the sources, as `npm run tessera -- …` runs it. */
export function runTessera(env: Record<string, string>, ...args: string[]): Promise<CommandRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (c) => (stdout += String(c)));
    child.stderr?.on('data', (c) => (stderr += String(c)));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * A new account's personal access token on a running instance: signed up over HTTP, its address
 * confirmed by the operator command (so no mail has to leave), the token minted with its session.
 * `env` is the instance's own, so the command reaches the same database.
 */
export async function verifiedToken(base: string, env: Record<string, string>, name = 'Ada'): Promise<string> {
  const email = `${name.toLowerCase()}.${Math.random().toString(36).slice(2, 10)}@example.test`;
  const signup = await fetch(`${base}/api/v1/auth/signup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: 'long enough password', name }),
  });
  if (signup.status !== 201) throw new Error(`signup: ${signup.status} ${await signup.text()}`);
  const cookie = /tessera_session=[^;]+/.exec(signup.headers.get('set-cookie') ?? '')![0];
  const verified = await runTessera(env, 'verify', '--email', email);
  if (verified.code !== 0) throw new Error(`tessera verify: ${verified.code} ${verified.stdout} ${verified.stderr}`);
  const res = await fetch(`${base}/api/v1/me/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie },
    body: JSON.stringify({ name: 'ops' }),
  });
  if (res.status !== 201) throw new Error(`token: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

/** A data folder and a database of its own that a separate process reaches by its environment alone. */
export interface ProcessDatabase extends TestDatabase {
  /** DATA_DIR and DATABASE_URL, for the process. */
  env: Record<string, string>;
  dataDir: string;
  databaseUrl: string;
}

/**
 * A data folder in the temporary folder, and a database in it (SQLite) or a PostgreSQL database
 * of its own, created here and dropped by `drop`. `label` names both, to tell runs apart.
 */
export async function processDatabase(kind: DatabaseKind, label: string): Promise<ProcessDatabase> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `tessera-${label}-`));
  if (kind === 'sqlite') {
    const file = path.join(dataDir, 'tessera.db');
    const databaseUrl = `sqlite:${file}`;
    return {
      env: { DATA_DIR: dataDir, DATABASE_URL: databaseUrl },
      dataDir,
      databaseUrl,
      config: { kind: 'sqlite', file },
      drop: async () => fs.rmSync(dataDir, { recursive: true, force: true }),
    };
  }
  const name = `tessera_${label}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();
  return {
    env: { DATA_DIR: dataDir, DATABASE_URL: databaseUrl },
    dataDir,
    databaseUrl,
    config: { kind: 'postgres', url: databaseUrl },
    drop: async () => {
      const c = new pg.Client({ connectionString: POSTGRES_URL });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The secret of a link in the dev outbox of a server process, waiting for the mail at most 5 s. */
export async function outboxLink(dataDir: string, kind: string): Promise<string> {
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

/** One JSON call to a server process, with a bearer token or none; the body is null when the answer is not JSON. */
export async function call(base: string, method: string, url: string, token: string | null, body?: unknown) {
  const res = await fetch(`${base}${url}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json().catch(() => null)) as any };
}
