import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { rankOf } from '../../src/access/levels.js';
import { hashSecret, newId } from '../../src/secrets.js';
import { migrate, openStore, type Store } from '../../src/store/database.js';
import { POSTGRES_URL } from '../../test/helpers/databases.js';
import { type ServerProcess, spawnTessera, waitForExit } from '../../test/helpers/process.js';

export type Kind = 'sqlite' | 'postgres';

export function flag(name: string): boolean {
  return process.argv.includes(`--${name}`);
}

export function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

/** Checks a run makes; the last line of every script is "N passed, N failed". */
export class Checks {
  passed = 0;
  failed = 0;
  check(ok: boolean, what: string): void {
    if (ok) this.passed += 1;
    else this.failed += 1;
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  }
  finish(): never {
    console.log(`${this.passed} passed, ${this.failed} failed`);
    process.exit(this.failed > 0 ? 1 : 0);
  }
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export interface Environment {
  kind: Kind;
  env: Record<string, string>;
  store: Store;
  cleanup(): Promise<void>;
}

/** A database of its own for one run: a SQLite file, or a fresh PostgreSQL database. */
export async function environment(kind: Kind, extra: Record<string, string> = {}): Promise<Environment> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-trust-'));
  let env: Record<string, string> = { DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...extra };
  let dropDatabase = async () => {};
  if (kind === 'postgres') {
    const name = `tessera_trust_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.end();
    const url = new URL(POSTGRES_URL);
    url.pathname = `/${name}`;
    env = { ...env, DATABASE_URL: url.toString() };
    dropDatabase = async () => {
      const c = new pg.Client({ connectionString: POSTGRES_URL });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    };
  }
  const store = await openStore(kind === 'sqlite' ? { kind, file: path.join(dataDir, 'tessera.db') } : { kind, url: env.DATABASE_URL! });
  await migrate(store);
  return {
    kind,
    env,
    store,
    async cleanup() {
      await store.close();
      await dropDatabase();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function startServers(env: Record<string, string>, count: number): Promise<ServerProcess[]> {
  const servers: ServerProcess[] = [];
  for (let i = 0; i < count; i += 1) servers.push(await spawnTessera(env));
  return servers;
}

export async function stopServers(servers: ServerProcess[]): Promise<void> {
  for (const s of servers) s.child.kill('SIGTERM');
  for (const s of servers) await waitForExit(s.child);
}

export interface Lane {
  index: number;
  datasetId: string;
  user: { id: string; email: string; token: string };
  invitee: { id: string; email: string; token: string };
}

export interface Seeded {
  orgId: string;
  adminToken: string;
  lanes: Lane[];
}

/**
 * One organization, and per client a lane of its own: a private dataset, a member who is
 * granted and revoked on it, and a member who is invited to it. Written straight to the store.
 */
export async function seed(store: Store, lanes: number): Promise<Seeded> {
  const now = Date.now();
  const orgId = newId('org');
  const token = () => `tsr_${randomBytes(24).toString('base64url')}`;
  const user = () => ({ id: newId('usr'), email: `${randomBytes(5).toString('hex')}@load.test`, token: token() });
  const admin = user();
  const seeded: Seeded = { orgId, adminToken: admin.token, lanes: [] };
  for (let i = 0; i < lanes; i += 1) seeded.lanes.push({ index: i, datasetId: newId('ds'), user: user(), invitee: user() });
  const everyone = [admin, ...seeded.lanes.flatMap((l) => [l.user, l.invitee])];
  await store.db.transaction().execute(async (tx) => {
    await tx
      .insertInto('users')
      .values(
        everyone.map((u) => ({
          id: u.id,
          email: u.email,
          name: u.email.split('@')[0]!,
          password_hash: 'scrypt$disabled',
          created_at: now,
        })),
      )
      .execute();
    await tx
      .insertInto('access_tokens')
      .values(
        everyone.map((u) => ({
          id: newId('tok'),
          user_id: u.id,
          name: 'load',
          token_hash: hashSecret(u.token),
          created_at: now,
          last_used_at: null,
        })),
      )
      .execute();
    await tx.insertInto('orgs').values({ id: orgId, name: 'Load Co', created_at: now }).execute();
    await tx
      .insertInto('org_members')
      .values(
        everyone.map((u) => ({
          org_id: orgId,
          user_id: u.id,
          role: u === admin ? ('admin' as const) : ('member' as const),
          process_datasets: 0,
          created_at: now,
        })),
      )
      .execute();
    await tx
      .insertInto('datasets')
      .values(
        seeded.lanes.map((l) => ({
          id: l.datasetId,
          org_id: orgId,
          name: `lane ${l.index}`,
          name_key: `lane ${l.index}`,
          description: '',
          visibility: 'admins' as const,
          predecessor_id: null,
          item_count: 0,
          created_at: now,
          updated_at: now,
        })),
      )
      .execute();
    await tx
      .insertInto('user_grants')
      .values(
        seeded.lanes.map((l) => ({
          dataset_id: l.datasetId,
          user_id: admin.id,
          level: rankOf('admin'),
          expires_at: null,
          granted_by: admin.id,
          created_at: now,
          last_used_at: null,
        })),
      )
      .execute();
  });
  return seeded;
}

/** One HTTP call with a bearer token, to a base URL. */
export async function call(
  base: string,
  token: string,
  method: string,
  url: string,
  body?: unknown,
): Promise<{ status: number; body: any; ms: number; retryAfter: string | null }> {
  const started = performance.now();
  const res = await fetch(`${base}${url}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON (CSV, bytes)
  }
  return { status: res.status, body: parsed, ms: performance.now() - started, retryAfter: res.headers.get('retry-after') };
}

export function serverStats(pid: number): { rssMb: number; fds: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
  const fds = fs.readdirSync(`/proc/${pid}/fd`).length;
  return { rssMb: rss, fds };
}

/** The level of a user's direct grant as stored, for checking acknowledged writes. */
export function storedLevel(store: Store) {
  return async (datasetId: string, userId: string): Promise<number | null> => {
    const row = await store.db
      .selectFrom('user_grants')
      .select('level')
      .where('dataset_id', '=', datasetId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return row ? Number(row.level) : null;
  };
}
