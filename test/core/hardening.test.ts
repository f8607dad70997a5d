import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Actor } from '../helpers/client.js';
import { DATABASES } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { type World, world } from '../helpers/world.js';

/** Nothing of the inside may leak into an answer. */
function expectClean(res: { status: number; body: unknown }) {
  const text = JSON.stringify(res.body);
  for (const leak of ['    at ', 'SELECT', 'select ', 'node_modules', '/work/', 'SqliteError', 'sqlite', 'postgres', '.ts:']) {
    expect(text, `answer leaks "${leak}"`).not.toContain(leak);
  }
  expect(res.body).toMatchObject({ error: { code: expect.stringMatching(/^[a-z_]+$/), message: expect.any(String) } });
}

describe.each(DATABASES)('hardening: CSRF, headers, limits and bad input (%s)', (db) => {
  let server: TestServer;
  let w: World;
  let admin: Actor;
  let url: string;
  beforeAll(async () => {
    server = await startTestServer({ db });
    w = await world(server).org('acme').dataset('cams').build();
    admin = w.orgs.acme!.admin;
    url = `/api/v1/datasets/${w.datasets.cams}`;
  });
  afterAll(async () => {
    await server.close();
  });

  async function unchanged() {
    const res = await admin.get(url);
    expect(res.body).toMatchObject({ name: 'cams', description: '', visibility: 'admins' });
    expect((await new Actor(server.app).get('/healthz')).body).toEqual({ status: 'ok' });
  }

  it('refuses cookie-authenticated changes that are not JSON or come from another origin', async () => {
    const form = await admin.request('PATCH', url, undefined, { 'content-type': 'application/x-www-form-urlencoded' });
    expect(form.status).toBe(403);
    expect(form.body.error.code).toBe('csrf_rejected');
    const textPlain = await admin.request('DELETE', url, undefined, { 'content-type': 'text/plain' });
    expect(textPlain.body.error.code).toBe('csrf_rejected');
    const foreign = await admin.request('PATCH', url, { name: 'pwned' }, { origin: 'https://evil.example' });
    expect(foreign.status).toBe(403);
    expect(foreign.body.error.code).toBe('csrf_rejected');
    expect((await admin.request('PATCH', url, { description: 'same origin' }, { origin: 'http://tessera.test' })).status).toBe(200);
    await admin.patch(url, { description: '' });

    const token = (await admin.post('/api/v1/me/tokens', { name: 'script' })).body.token;
    const script = new Actor(server.app, { bearer: token });
    expect((await script.request('PATCH', url, { description: 'from a script' }, { origin: 'https://elsewhere.example' })).status).toBe(
      200,
    );
    await admin.patch(url, { description: '' });
    await unchanged();
  });

  it('sends security headers with every answer', async () => {
    for (const res of [
      await admin.get(url),
      await new Actor(server.app).get('/api/v1/nowhere'),
      await new Actor(server.app).get('/healthz'),
    ]) {
      expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(res.headers['content-security-policy']).toContain("default-src 'self'");
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
    }
    expect((await admin.get(url)).headers['cache-control']).toBe('no-store');
  });

  it('answers malformed JSON, wrong types, long strings, unknown enums and garbage ids with a clear 4xx', async () => {
    const raw = await server.app.inject({
      method: 'PATCH',
      url,
      headers: { 'content-type': 'application/json', cookie: `tessera_session=${admin.auth.cookie}` },
      payload: '{"name": "x",',
    });
    expect(raw.statusCode).toBe(400);
    expectClean({ status: raw.statusCode, body: raw.json() });

    const cases: [string, string, unknown][] = [
      ['PATCH', url, { name: 42 }],
      ['PATCH', url, { name: null }],
      ['PATCH', url, { name: 'x'.repeat(201) }],
      ['PATCH', url, { description: 'x'.repeat(10_001) }],
      ['PATCH', url, { visibility: 'everyone' }],
      ['PATCH', url, []],
      ['PATCH', url, 'just a string'],
      ['PUT', `${url}/sharing/users/${admin.id}`, { level: 'root' }],
      ['PUT', `${url}/sharing/users/${admin.id}`, { level: 'read', expiresAt: 'tomorrow' }],
      ['POST', `/api/v1/orgs/${w.orgs.acme!.id}/teams`, { name: ['a'] }],
      ['POST', '/api/v1/auth/signup', { email: 'a@b.co', password: 'x'.repeat(2000), name: 'A' }],
      ['GET', '/api/v1/datasets/..%2F..%2Fetc%2Fpasswd', undefined],
      ['GET', `/api/v1/datasets/${'x'.repeat(500)}`, undefined],
      ['GET', '/api/v1/datasets/%F0%9F%92%A5%00', undefined],
      ['GET', "/api/v1/datasets/ds_1'%20or%201=1--", undefined],
      ['GET', '/api/v1/datasets?limit=abc', undefined],
      ['GET', '/api/v1/datasets?orgId=..%2F..%2Fetc', undefined],
    ];
    for (const [method, path, body] of cases) {
      const res = await admin.request(method, path, body);
      expect(res.status, `${method} ${path} ${JSON.stringify(body)?.slice(0, 60)}`).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expectClean(res);
    }
    const nulls = await admin.request('PATCH', url, { name: 'a\u0000b' });
    expect(nulls.status).toBe(400);
    expectClean(nulls);
    expect((await admin.get('/api/v1/datasets?q=a%00b')).status).toBe(400);
    await admin.patch(url, { name: 'cams' });
    await unchanged();
  });

  it('refuses a 12 MiB body with 413 and stays alive', async () => {
    const huge = JSON.stringify({ name: 'x', description: 'y'.repeat(12 * 1024 * 1024) });
    const res = await server.app.inject({
      method: 'PATCH',
      url,
      headers: { 'content-type': 'application/json', cookie: `tessera_session=${admin.auth.cookie}` },
      payload: huge,
    });
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe('payload_too_large');
    await unchanged();
  });

  it('documents every route in the OpenAPI document and serves the docs page', async () => {
    const doc = await new Actor(server.app).get('/api/v1/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toMatch(/^3\./);
    for (const path of [
      '/api/v1/auth/signup',
      '/api/v1/datasets',
      '/api/v1/datasets/{id}/sharing/users/{userId}',
      '/api/v1/invitations/accept',
      '/api/v1/orgs/{orgId}/audit',
    ]) {
      expect(Object.keys(doc.body.paths)).toContain(path);
    }
    const docs = await server.app.inject({ method: 'GET', url: '/api/docs/' });
    expect(docs.statusCode).toBe(200);
    expect(docs.headers['content-type']).toContain('text/html');
  });
});
