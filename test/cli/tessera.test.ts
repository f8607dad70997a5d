import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { Actor, logIn, signUp } from '../helpers/client.js';
import { DATABASES } from '../helpers/databases.js';
import { type CommandRun, type ProcessDatabase, processDatabase, runTessera } from '../helpers/process.js';
import { PUBLIC_URL, startTestServer, type TestServer } from '../helpers/server.js';

const DAY = 24 * 60 * 60 * 1000;
const PASSWORD = 'a long and unusual passphrase 81';

type Run = CommandRun;

/** The command with the test's public URL, as an operator's environment would give it. */
const tessera = (env: Record<string, string>, ...args: string[]) => runTessera({ PUBLIC_URL, ...env }, ...args);

const linkIn = (run: Run) => {
  const match = new RegExp(`^${PUBLIC_URL}/reset#token=([A-Za-z0-9_-]+)$`, 'm').exec(run.stdout);
  if (!match) throw new Error(`no link printed: ${run.stdout} ${run.stderr}`);
  return match[1]!;
};

describe.each(DATABASES)('the tessera command (%s)', (kind) => {
  let env: Record<string, string>;
  let database: ProcessDatabase;
  let server: TestServer;
  beforeAll(async () => {
    database = await processDatabase(kind, 'cli');
    env = database.env;
    const migrated = await tessera(env, 'migrate');
    expect(migrated).toMatchObject({ code: 0, stdout: 'The database is up to date.\n', stderr: '' });
    // The server shares the database; its own migration finds nothing left to do.
    server = await startTestServer({ db: kind, database: { config: database.config, drop: async () => {} } });
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await database?.drop();
  });

  const setPassword = (token: string) => new Actor(server.app).post('/api/v1/auth/password-reset/confirm', { token, password: PASSWORD });

  it('creates a verified organization admin whose printed link sets the password, once, for 24 hours', { timeout: 60_000 }, async () => {
    const created = await tessera(env, 'create-user', '--email', ' Ops@Example.TEST ', '--name', 'Olga Ops', '--org-admin', 'Acme Ops');
    expect(created.code).toBe(0);
    expect(created.stderr).toBe('');
    const token = linkIn(created);
    expect(created.stdout).toMatch(/^Created ops@example\.test \(usr_[\w-]+\), e-mail verified\.$/m);
    expect(created.stdout).toMatch(/^Admin of Acme Ops \(org_[\w-]+\), a new organization\.$/m);
    expect(created.stdout).toContain(`valid once until ${new Date(Date.parse(/until (\S+):/.exec(created.stdout)![1]!)).toISOString()}`);
    expect(created.stdout.trim().split('\n')).toHaveLength(4);

    // Valid for 24 hours from now: a minute short of that it works.
    server.clock.set(Date.now() + DAY - 60_000);
    expect((await setPassword(token)).status).toBe(204);
    expect((await setPassword(token)).status).toBe(410);
    const olga = await logIn(server.app, 'ops@example.test', PASSWORD);
    const me = await olga.get('/api/v1/me');
    expect(me.body.user).toMatchObject({ email: 'ops@example.test', name: 'Olga Ops', emailVerified: true });
    expect(me.body.organizations).toEqual([expect.objectContaining({ name: 'Acme Ops', role: 'admin' })]);
    // Verified, so she can mint tokens at once.
    expect((await olga.post('/api/v1/me/tokens', { name: 'ci' })).status).toBe(201);

    // A second admin joins the existing organization; the same address again is refused.
    const second = await tessera(env, 'create-user', '--email', 'second@example.test', '--name', 'Sam', '--org-admin', 'Acme Ops');
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/^Admin of Acme Ops \(org_[\w-]+\)\.$/m);
    const orgId = me.body.organizations[0].id;
    const members = (await olga.get(`/api/v1/orgs/${orgId}/members`)).body.items;
    expect(members.map((m: { user: { email: string }; role: string }) => [m.user.email, m.role]).sort()).toEqual([
      ['ops@example.test', 'admin'],
      ['second@example.test', 'admin'],
    ]);
    const again = await tessera(env, 'create-user', '--email', 'OPS@example.test', '--name', 'Someone');
    expect(again).toMatchObject({ code: 1, stdout: '' });
    expect(again.stderr).toContain('already exists');
  });

  it('prints a reset link that kills the older ones, and expires after 24 hours', { timeout: 60_000 }, async () => {
    const created = await tessera(env, 'create-user', '--email', 'reset@example.test', '--name', 'Rita');
    const first = linkIn(created);
    const reset = await tessera(env, 'reset-link', '--email', 'Reset@example.test');
    expect(reset.code).toBe(0);
    expect(reset.stdout).toMatch(/^Password link for reset@example\.test, valid once until /);
    const second = linkIn(reset);
    server.clock.set(Date.now());
    expect((await setPassword(first)).status).toBe(410);
    server.clock.set(Date.now() + DAY + 60_000);
    expect((await setPassword(second)).status).toBe(410);
    const third = linkIn(await tessera(env, 'reset-link', '--email', 'reset@example.test'));
    server.clock.set(Date.now());
    expect((await setPassword(third)).status).toBe(204);
    expect((await logIn(server.app, 'reset@example.test', PASSWORD)).user.email).toBe('reset@example.test');
  });

  it('verifies an address on the operator’s word', { timeout: 60_000 }, async () => {
    server.clock.set(Date.now());
    const ann = await signUp(server.app, 'Ann');
    expect((await ann.get('/api/v1/me')).body.user.emailVerified).toBe(false);
    const verified = await tessera(env, 'verify', '--email', ann.user.email);
    expect(verified).toMatchObject({ code: 0, stdout: `${ann.user.email} is verified.\n`, stderr: '' });
    expect((await ann.get('/api/v1/me')).body.user.emailVerified).toBe(true);
  });

  it('says what is wrong with exit code 1: an unknown account, a malformed address', { timeout: 120_000 }, async () => {
    const unknown = await tessera(env, 'reset-link', '--email', 'nobody@example.test');
    expect(unknown).toMatchObject({ code: 1, stdout: '' });
    expect(unknown.stderr).toContain('nobody@example.test');
    expect((await tessera(env, 'verify', '--email', 'nobody@example.test')).code).toBe(1);
    const badEmail = await tessera(env, 'create-user', '--email', 'not-an-address', '--name', 'X');
    expect(badEmail.code).toBe(1);
    expect(badEmail.stderr).toContain('not a valid e-mail address');
  });
});

describe('the tessera command line', () => {
  it('answers bad arguments and configuration with exit code 2 and the usage, touching nothing', { timeout: 120_000 }, async () => {
    const env = { DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-cli-')) };
    onTestFinished(() => fs.rmSync(env.DATA_DIR, { recursive: true, force: true }));
    for (const args of [
      [],
      ['frobnicate'],
      ['create-user', '--email', 'x@example.test'],
      ['create-user', '--email', 'x@example.test', '--name', 'X', '--password', 'hunter2hunter2'],
      ['reset-link'],
      ['verify', 'positional@example.test'],
    ]) {
      const run = await tessera(env, ...args);
      expect([args, run.code, run.stdout]).toEqual([args, 2, '']);
      expect(run.stderr).toContain('Usage: tessera');
    }
    const badConfig = await tessera({ ...env, DATABASE_URL: 'mysql://somewhere' }, 'migrate');
    expect(badConfig.code).toBe(2);
    expect(badConfig.stderr).toContain('DATABASE_URL');
    expect((await tessera(env, '--help')).stdout).toContain('create-user --email E --name N [--org-admin ORG_NAME]');
    expect(fs.readdirSync(env.DATA_DIR)).toEqual([]);
  });
});
