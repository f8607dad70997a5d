import { afterAll, describe, expect, it } from 'vitest';
import { DATABASES } from '../helpers/databases.js';
import { call, outboxLink, processDatabase, type ServerProcess, spawnTessera, waitForExit } from '../helpers/process.js';

describe.each(DATABASES)('kill -9 while writes are in flight (%s)', (kind) => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanups) await c();
  });

  it('keeps every write that was answered 2xx', async () => {
    const { env, drop: cleanup } = await processDatabase(kind, 'crash');
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
    // Two start-ups of a real process from the TypeScript sources, on a machine shared with the rest of the suite.
  }, 120_000);
});
