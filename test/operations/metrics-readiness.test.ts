import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASES } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { world } from '../helpers/world.js';

function metric(text: string, name: string, labels: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`) || (labels === '' && l.startsWith(`${name} `)));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe.each(DATABASES)('metrics and readiness (%s)', (db) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ db, metricsToken: 'a-long-metrics-token' });
  });
  afterAll(async () => {
    await server.close();
  });

  it('reports requests by route template, access checks and queue depths, to 127.0.0.1 or the token holder', async () => {
    const w = await world(server).org('acme').member('ann').dataset('cams', { tier: 'organization' }).build();
    const ann = w.users.ann!;
    expect((await ann.get(`/api/v1/datasets/${w.datasets.cams}`)).status).toBe(200);
    expect((await ann.get('/api/v1/datasets/ds_missing')).status).toBe(404);
    server.mailer!.sent.length = 0;
    await server.ctx.delivery.drain();

    const local = await server.app.inject({ method: 'GET', url: '/metrics' });
    expect(local.statusCode).toBe(200);
    expect(local.headers['content-type']).toContain('text/plain');
    const text = local.body;
    expect(metric(text, 'tessera_http_requests_total', 'method="GET",route="/api/v1/datasets/:id",status="200"')).toBeGreaterThanOrEqual(1);
    expect(metric(text, 'tessera_http_requests_total', 'method="GET",route="/api/v1/datasets/:id",status="404"')).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(
      /tessera_http_request_duration_seconds_bucket\{le="0\.005",method="GET",route="\/api\/v1\/datasets\/:id",status="200"\}/,
    );
    expect(metric(text, 'tessera_access_check_duration_seconds_count', '')).toBeGreaterThanOrEqual(2);
    expect(metric(text, 'tessera_outbox_pending', 'kind="mail"')).toBe(0);
    expect(metric(text, 'tessera_outbox_oldest_age_seconds', 'kind="mail"')).toBe(0);
    expect(metric(text, 'tessera_jobs', 'status="queued"')).toBe(0);
    // No ids in the labels: one series per route, not per dataset.
    expect(text).not.toContain(w.datasets.cams!);

    const remote = (headers: Record<string, string> = {}) =>
      server.app.inject({ method: 'GET', url: '/metrics', remoteAddress: '203.0.113.9', headers });
    expect((await remote()).statusCode).toBe(403);
    // Relayed by a reverse proxy on this machine: not local.
    const proxied = await server.app.inject({ method: 'GET', url: '/metrics', headers: { 'x-forwarded-for': '203.0.113.9' } });
    expect(proxied.statusCode).toBe(403);
    expect((await remote({ authorization: 'Bearer wrong-token-of-same-len' })).statusCode).toBe(403);
    const withToken = await remote({ authorization: 'Bearer a-long-metrics-token' });
    expect(withToken.statusCode).toBe(200);
    expect(withToken.body).toContain('tessera_outbox_pending');
  });

  it('counts waiting mail and its age by kind', async () => {
    const w = await world(server).org('globex').build();
    const admin = w.orgs.globex!.admin;
    await server.ctx.delivery.stop(0);
    try {
      expect(
        (
          await admin.post(`/api/v1/orgs/${w.orgs.globex!.id}/invitations`, {
            emails: ['a@example.test', 'b@example.test'],
            role: 'member',
          })
        ).status,
      ).toBe(201);
      const text = (await server.app.inject({ method: 'GET', url: '/metrics' })).body;
      expect(metric(text, 'tessera_outbox_pending', 'kind="mail"')).toBe(2);
    } finally {
      await server.ctx.delivery.start();
    }
    await server.ctx.delivery.drain();
    const text = (await server.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metric(text, 'tessera_outbox_pending', 'kind="mail"')).toBe(0);
  });
});

describe('readiness', () => {
  it('is 200 while serving and 503 once shutting down; /healthz is unchanged', async () => {
    const server = await startTestServer({ db: 'sqlite' });
    expect((await server.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    expect((await server.app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const stopping = server.close();
    expect((await server.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(503);
    await stopping;
  });
});

describe('metrics without a token', () => {
  it('do not exist for other addresses', async () => {
    const server = await startTestServer({ db: 'sqlite' });
    try {
      const res = await server.app.inject({
        method: 'GET',
        url: '/metrics',
        remoteAddress: '203.0.113.9',
        headers: { authorization: 'Bearer x' },
      });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toMatchObject({ error: { code: 'not_found' } });
    } finally {
      await server.close();
    }
  });
});
