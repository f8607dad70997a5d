import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { DATABASES } from '../helpers/databases.js';
import { call, freePort, outboxLink, processDatabase, type ServerProcess, spawnTessera, waitForExit } from '../helpers/process.js';
import { documentedVerifier, WebhookReceiver } from '../helpers/webhook-receiver.js';

describe.each(DATABASES)('a webhook delivery survives a kill -9 (%s)', (kind) => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('delivers an event committed before the process was killed, once it is back', { timeout: 120_000 }, async () => {
    const { env, drop: cleanup } = await processDatabase(kind, 'hooks');
    cleanups.push(cleanup);
    Object.assign(env, { WEBHOOK_ALLOW_PRIVATE: 'true' });
    let server: ServerProcess = await spawnTessera(env);
    const signup = await fetch(`${server.url}/api/v1/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        email: `hooks-${randomBytes(3).toString('hex')}@example.test`,
        password: 'long enough password',
        name: 'Ada',
      }),
    });
    const cookie = /tessera_session=[^;]+/.exec(signup.headers.get('set-cookie') ?? '')![0];
    const verified = await fetch(`${server.url}/api/v1/auth/verify-email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie },
      body: JSON.stringify({ token: await outboxLink(env.DATA_DIR!, 'verify') }),
    });
    expect(verified.status).toBe(204);
    const minted = await fetch(`${server.url}/api/v1/me/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie },
      body: JSON.stringify({ name: 'ops' }),
    });
    const minted_ = (await minted.json()) as { token: string };
    expect(minted.status, JSON.stringify(minted_)).toBe(201);
    const token = minted_.token;
    const org = await call(server.url, 'POST', '/api/v1/orgs', token, { name: 'Hooked' });
    expect(org.status, JSON.stringify(org.body)).toBe(201);

    // The receiver is down when the event happens: the first attempt fails and the delivery waits.
    const port = await freePort();
    const hook = await call(server.url, 'POST', `/api/v1/orgs/${org.body.id}/webhooks`, token, {
      url: `http://127.0.0.1:${port}/hook`,
      events: ['team.created'],
    });
    expect(hook.status).toBe(201);
    const team = await call(server.url, 'POST', `/api/v1/orgs/${org.body.id}/teams`, token, { name: 'labelers' });
    expect(team.status).toBe(201);
    server.child.kill('SIGKILL');
    await waitForExit(server.child);

    const receiver = new WebhookReceiver();
    await receiver.startOn(port);
    cleanups.push(() => receiver.close());
    server = await spawnTessera(env);
    try {
      const [delivered] = await receiver.waitFor('/hook', 1, 60_000);
      expect(delivered!.headers['tessera-event']).toBe('team.created');
      const event = JSON.parse(delivered!.body);
      expect(event).toMatchObject({ type: 'team.created', orgId: org.body.id });
      expect(documentedVerifier()(delivered!.body, String(delivered!.headers['tessera-signature']), hook.body.secret)).toBe(true);
      const log = await call(server.url, 'GET', `/api/v1/webhooks/${hook.body.id}/deliveries`, token);
      await expect
        .poll(async () => (await call(server.url, 'GET', `/api/v1/webhooks/${hook.body.id}/deliveries`, token)).body.items[0], {
          timeout: 10_000,
        })
        .toMatchObject({ event: 'team.created', status: 'delivered', responseStatus: 200 });
      expect(log.status).toBe(200);
    } finally {
      server.child.kill('SIGTERM');
      expect(await waitForExit(server.child)).toBe(0);
    }
  });
});
