import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Actor, logIn, type Response } from '../helpers/client.js';
import { DATABASES } from '../helpers/databases.js';
import { PUBLIC_URL, startTestServer, type TestServer } from '../helpers/server.js';
import { type World, world } from '../helpers/world.js';
import { expectError, expectNoLeak } from './errors.js';

describe.each(DATABASES)('hardening of the core API (%s)', (db) => {
  let server: TestServer;
  let w: World;
  let admin: Actor;
  let url: string;
  let original: Record<string, unknown>;
  beforeAll(async () => {
    server = await startTestServer({ db });
    w = await world(server).org('acme').member('ann').dataset('cams').grant('cams', 'ann', 'read').build();
    admin = w.orgs.acme!.admin;
    url = `/api/v1/datasets/${w.datasets.cams}`;
    original = (await admin.get(url)).body;
  });
  afterAll(async () => {
    await server.close();
  });

  /** After a refused request: the dataset and its sharing are as they were, and the server still answers. */
  async function nothingChanged() {
    expect((await admin.get(url)).body).toEqual(original);
    const sharing = (await admin.get(`${url}/sharing`)).body;
    expect(sharing.users.map((g: { user: { id: string }; level: string }) => [g.user.id, g.level]).sort()).toEqual(
      [
        [admin.id, 'admin'],
        [w.users.ann!.id, 'read'],
      ].sort(),
    );
    expect(sharing.visibility).toBe('admins');
    const health = await new Actor(server.app).get('/healthz');
    expect(health).toMatchObject({ status: 200, body: { status: 'ok' } });
  }

  async function raw(method: string, path: string, headers: Record<string, string>, payload?: string): Promise<Response> {
    const res = await server.app.inject({ method: method as 'GET', url: path, headers, ...(payload === undefined ? {} : { payload }) });
    const json = String(res.headers['content-type'] ?? '').includes('json') && res.body ? JSON.parse(res.body) : res.body;
    return { status: res.statusCode, body: json, headers: res.headers };
  }
  const cookie = () => `tessera_session=${admin.auth.cookie}`;

  it('refuses cookie-carrying changes without a JSON content type with 403 csrf_rejected', async () => {
    const attempts: [string, string, Record<string, string>, string?][] = [
      ['PATCH', url, { 'content-type': 'text/plain' }, '{"name":"pwned"}'],
      ['PATCH', url, { 'content-type': 'application/x-www-form-urlencoded' }, 'name=pwned'],
      ['PATCH', url, { 'content-type': 'multipart/form-data; boundary=x' }, '--x--'],
      ['DELETE', url, {}],
      ['DELETE', `${url}/sharing/users/${w.users.ann!.id}`, { 'content-type': 'text/plain' }],
      ['PUT', `${url}/sharing/users/${w.users.ann!.id}`, { 'content-type': 'text/plain' }, '{"level":"admin"}'],
      ['POST', '/api/v1/auth/logout', {}],
    ];
    for (const [method, path, headers, payload] of attempts) {
      expectError(await raw(method, path, { ...headers, cookie: cookie() }, payload), 403, 'csrf_rejected');
    }
    await nothingChanged();
    expect((await admin.get('/api/v1/me')).status).toBe(200);
  });

  it('refuses cookie-carrying changes from another Origin, and accepts the app’s own', async () => {
    for (const origin of ['https://evil.example', 'http://tessera.test.evil.example', 'https://tessera.test', 'null']) {
      expectError(await admin.request('PATCH', url, { name: 'pwned' }, { origin }), 403, 'csrf_rejected');
      expectError(await admin.request('DELETE', url, undefined, { origin }), 403, 'csrf_rejected');
    }
    await nothingChanged();
    // Reading is no change: a foreign Origin on GET is answered.
    expect((await admin.request('GET', url, undefined, { origin: 'https://evil.example' })).status).toBe(200);
    const same = await admin.request('PATCH', url, { description: 'same origin' }, { origin: PUBLIC_URL });
    expect(same.status).toBe(200);
    const charset = { origin: PUBLIC_URL, 'content-type': 'application/json; charset=utf-8' };
    expect((await admin.request('PATCH', url, { description: 'with charset' }, charset)).body.description).toBe('with charset');
    expect((await admin.patch(url, { description: '' })).status).toBe(200);
    original = (await admin.get(url)).body;
  });

  it('accepts bodyless changes from the app’s own Origin, as browsers (and Swagger UI) send them', async () => {
    const same = { cookie: cookie(), origin: PUBLIC_URL };
    // A bodyless DELETE with no content type at all.
    const scratch = (await admin.post(`/api/v1/orgs/${w.orgs.acme!.id}/datasets`, { name: 'scratch' })).body.id;
    expect((await raw('DELETE', `/api/v1/datasets/${scratch}`, same)).status).toBe(204);
    expectError(await admin.get(`/api/v1/datasets/${scratch}`), 404, 'not_found');
    // A bodyless POST: logging out a second session of the same person.
    const second = await logIn(server.app, admin.user.email);
    const secondCookie = `tessera_session=${second.auth.cookie}`;
    expect((await raw('POST', '/api/v1/auth/logout', { cookie: secondCookie, origin: PUBLIC_URL })).status).toBe(204);
    expectError(await second.get('/api/v1/me'), 401, 'unauthenticated');
    // The same Origin lets the request through; the route still wants JSON where it takes a body.
    expectError(await raw('PATCH', url, { ...same, 'content-type': 'text/plain' }, '{"name":"pwned"}'), 400, 'invalid_request');
    // Multipart is for uploads only, whatever the Origin.
    expectError(await raw('PATCH', url, { ...same, 'content-type': 'multipart/form-data; boundary=x' }, '--x--'), 403, 'csrf_rejected');
    await nothingChanged();
    expect((await admin.get('/api/v1/me')).status).toBe(200);
  });

  it('refuses bodyless changes without Origin or with a foreign or null one', async () => {
    const scratch = (await admin.post(`/api/v1/orgs/${w.orgs.acme!.id}/datasets`, { name: 'kept' })).body.id;
    for (const origin of [undefined, 'null', 'https://evil.example', 'http://tessera.test:8080']) {
      const headers = { cookie: cookie(), ...(origin === undefined ? {} : { origin }) };
      expectError(await raw('DELETE', `/api/v1/datasets/${scratch}`, headers), 403, 'csrf_rejected');
      expectError(await raw('POST', '/api/v1/auth/logout', headers), 403, 'csrf_rejected');
    }
    expect((await admin.get(`/api/v1/datasets/${scratch}`)).status).toBe(200);
    // Without Origin, a JSON body is the proof: browsers do not send one cross-site without asking
    // first. A JSON content type on no body proves nothing.
    const json = { cookie: cookie(), 'content-type': 'application/json' };
    expectError(await raw('DELETE', `/api/v1/datasets/${scratch}`, json), 403, 'csrf_rejected');
    expect((await raw('DELETE', `/api/v1/datasets/${scratch}`, json, '{}')).status).toBe(204);
    expect((await admin.get('/api/v1/me')).status).toBe(200);
  });

  it('needs no CSRF proof with a bearer token', async () => {
    const token = (await admin.post('/api/v1/me/tokens', { name: 'script' })).body.token;
    const bearer = { authorization: `Bearer ${token}`, origin: 'https://elsewhere.example' };
    const changed = await raw('PATCH', url, { ...bearer, 'content-type': 'application/json' }, '{"description":"by script"}');
    expect(changed.status).toBe(200);
    const scratch = (await admin.post(`/api/v1/orgs/${w.orgs.acme!.id}/datasets`, { name: 'scratch' })).body.id;
    expect((await raw('DELETE', `/api/v1/datasets/${scratch}`, bearer)).status).toBe(204);
    expect((await raw('PATCH', url, { ...bearer, 'content-type': 'application/json' }, '{"description":""}')).status).toBe(200);
    original = (await admin.get(url)).body;
    await nothingChanged();
  });

  it('sends security headers on API answers, errors included', async () => {
    const answers = [
      await admin.get(url),
      await admin.get('/api/v1/datasets/ds_nope'),
      await new Actor(server.app).get('/api/v1/me'),
      await admin.get('/api/v1/nowhere'),
      await admin.post(`/api/v1/orgs/${w.orgs.acme!.id}/datasets`, { name: 42 }),
    ];
    for (const res of answers) {
      expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.headers['cache-control']).toBe('no-store');
    }
    expectError(answers[3]!, 404, 'not_found');
  });

  it('answers malformed JSON and bodies that are not objects with 400', async () => {
    const json = { 'content-type': 'application/json', cookie: cookie() };
    for (const payload of ['{"name": "x",', '{name: "x"}', "{'name':'x'}", 'null', '[1]', '"cams"', '12', '{"name":"a\\u0000b"}']) {
      expectError(await raw('PATCH', url, json, payload), 400, 'invalid_request');
    }
    await nothingChanged();
  });

  it('answers wrong types, over-long strings and unknown enum values with 400 and details', async () => {
    const bodies = [
      { name: 42 },
      { name: null },
      { name: ['cams'] },
      { name: { first: 'x' } },
      { description: true },
      { name: 'x'.repeat(201) },
      { description: 'x'.repeat(10_001) },
      { visibility: 'public' },
      { visibility: 'ADMINS' },
      { name: 'lone \ud800 surrogate' },
      { description: 'ends \udfff' },
      {},
    ];
    for (const body of bodies) {
      const res = await admin.patch(url, body);
      expectError(res, 400, 'invalid_request');
    }
    const unpaired = await admin.post(`/api/v1/orgs/${w.orgs.acme!.id}/teams`, { name: 'x\ud83d' });
    expect(unpaired.body.error.details).toEqual([{ path: 'body/name', message: 'must be well-formed Unicode text' }]);
    // Well-formed text beyond the BMP, right-to-left and combining marks is kept exactly.
    const exotic = '🛰️ כלבים e\u0301 日本';
    const created = await admin.post(`/api/v1/orgs/${w.orgs.acme!.id}/datasets`, { name: exotic, description: exotic });
    expect(created.status).toBe(201);
    expect((await admin.get(`/api/v1/datasets/${created.body.id}`)).body).toMatchObject({ name: exotic, description: exotic });
    expect((await admin.delete(`/api/v1/datasets/${created.body.id}`)).status).toBe(204);
    const typed = await admin.patch(url, { name: 42 });
    expect(typed.body.error.details).toEqual([expect.objectContaining({ path: expect.stringContaining('name') })]);
    const grant = `${url}/sharing/users/${w.users.ann!.id}`;
    for (const body of [{ level: 'owner' }, { level: 4 }, { level: 'read', expiresAt: 'next week' }, { level: 'read', expiresAt: 0 }]) {
      expectError(await admin.put(grant, body), 400, 'invalid_request');
    }
    const anonymous = new Actor(server.app);
    expectError(
      await anonymous.post('/api/v1/auth/signup', { email: `${'a'.repeat(300)}@x.test`, password: 'long enough pw', name: 'A' }),
      400,
      'invalid_request',
    );
    expectError(await anonymous.post('/api/v1/auth/login', { email: 'a@x.test', password: 'p'.repeat(2000) }), 400, 'invalid_request');
    expectError(await admin.get(`/api/v1/datasets?q=${'q'.repeat(201)}`), 400, 'invalid_request');
    await nothingChanged();
  });

  it('answers garbage ids with a 4xx in the error shape, never a crash', async () => {
    const ids = [
      '../../etc/passwd',
      '..%2F..%2Fetc%2Fpasswd',
      '%E2%98%83',
      'caf%C3%A9',
      "ds'%20or%201=1--",
      'x'.repeat(65),
      'x'.repeat(5000),
      '%ZZ',
      'a%00b',
    ];
    for (const id of ids) {
      for (const res of [
        await admin.get(`/api/v1/datasets/${id}`),
        await admin.patch(`/api/v1/datasets/${id}`, { name: 'x' }),
        await admin.delete(`/api/v1/datasets/${id}`),
        await admin.put(`${url}/sharing/users/${id}`, { level: 'admin' }),
        await admin.put(`${url}/sharing/teams/${id}`, { level: 'admin' }),
        await admin.get(`/api/v1/teams/${id}`),
        await admin.delete(`/api/v1/orgs/${id}/members/${admin.id}`),
      ]) {
        expect([400, 404, 414], `${id}: ${res.status}`).toContain(res.status);
        expect(res.body.error.code).toMatch(/^(invalid_request|not_found)$/);
        expectNoLeak(res);
      }
    }
    await nothingChanged();
  });

  it('refuses a 12 MiB body with 413 payload_too_large and changes nothing', async () => {
    const huge = JSON.stringify({ name: 'x'.repeat(12 * 1024 * 1024) });
    expectError(await raw('PATCH', url, { 'content-type': 'application/json', cookie: cookie() }, huge), 413, 'payload_too_large');
    expectError(await raw('POST', '/api/v1/auth/signup', { 'content-type': 'application/json' }, huge), 413, 'payload_too_large');
    await nothingChanged();
  });

  it('answers 401 on every core route without a session or token, and changes nothing', async () => {
    const anonymous = new Actor(server.app);
    const org = `/api/v1/orgs/${w.orgs.acme!.id}`;
    const ann = w.users.ann!.id;
    const team = (await admin.post(`${org}/teams`, { name: 'anon-check' })).body.id;
    const routes: [string, string, unknown?][] = [
      ['GET', '/api/v1/me'],
      ['POST', '/api/v1/me/tokens', { name: 'x' }],
      ['DELETE', '/api/v1/me/tokens/tok_x'],
      ['POST', '/api/v1/orgs', { name: 'x' }],
      ['GET', org],
      ['GET', `${org}/members`],
      ['PATCH', `${org}/members/${ann}`, { role: 'admin' }],
      ['DELETE', `${org}/members/${ann}`],
      ['POST', `${org}/teams`, { name: 'x' }],
      ['GET', `${org}/teams`],
      ['GET', `/api/v1/teams/${team}`],
      ['PATCH', `/api/v1/teams/${team}`, { name: 'x' }],
      ['DELETE', `/api/v1/teams/${team}`],
      ['PUT', `/api/v1/teams/${team}/members/${ann}`],
      ['DELETE', `/api/v1/teams/${team}/members/${ann}`],
      ['POST', `${org}/datasets`, { name: 'x' }],
      ['GET', '/api/v1/datasets'],
      ['GET', url],
      ['PATCH', url, { name: 'x' }],
      ['DELETE', url],
      ['GET', `${url}/sharing`],
      ['PUT', `${url}/sharing/users/${ann}`, { level: 'admin' }],
      ['DELETE', `${url}/sharing/users/${ann}`],
      ['PUT', `${url}/sharing/teams/${team}`, { level: 'admin' }],
      ['DELETE', `${url}/sharing/teams/${team}`],
    ];
    for (const [method, path, body] of routes) {
      const res = await anonymous.request(method, path, body);
      expect(res.status, `${method} ${path}`).toBe(401);
      expectError(res, 401, 'unauthenticated');
    }
    expect((await admin.get(`/api/v1/teams/${team}`)).body).toMatchObject({ name: 'anon-check', members: [] });
    await nothingChanged();
  });

  it('keeps every error to the same shape without internals', async () => {
    const anonymous = new Actor(server.app);
    const answers: [Response, number, string][] = [
      [await anonymous.get('/api/v1/datasets'), 401, 'unauthenticated'],
      [await w.users.ann!.patch(url, { name: 'x' }), 403, 'forbidden'],
      [await admin.get('/api/v1/orgs/org_nope'), 404, 'not_found'],
      [await admin.post(`/api/v1/orgs/${w.orgs.acme!.id}/teams`, { name: '' }), 400, 'invalid_request'],
      [await admin.delete(`/api/v1/orgs/${w.orgs.acme!.id}/members/${admin.id}`), 409, 'last_admin'],
      [await anonymous.post('/api/v1/auth/login', { email: 'nobody@x.test', password: 'whatever123' }), 401, 'invalid_credentials'],
    ];
    for (const [res, status, code] of answers) expectError(res, status, code);
    await nothingChanged();
  });

  it('serves the OpenAPI document listing the core routes', async () => {
    const res = await new Actor(server.app).get('/api/v1/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toMatch(/^3\./);
    const routes = Object.entries(res.body.paths as Record<string, object>).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(routes).toEqual(
      expect.arrayContaining([
        'POST /api/v1/auth/signup',
        'POST /api/v1/auth/login',
        'POST /api/v1/auth/logout',
        'GET /api/v1/me',
        'POST /api/v1/me/tokens',
        'DELETE /api/v1/me/tokens/{id}',
        'POST /api/v1/orgs',
        'GET /api/v1/orgs/{orgId}',
        'GET /api/v1/orgs/{orgId}/members',
        'PATCH /api/v1/orgs/{orgId}/members/{userId}',
        'DELETE /api/v1/orgs/{orgId}/members/{userId}',
        'POST /api/v1/orgs/{orgId}/teams',
        'GET /api/v1/orgs/{orgId}/teams',
        'GET /api/v1/teams/{teamId}',
        'PATCH /api/v1/teams/{teamId}',
        'DELETE /api/v1/teams/{teamId}',
        'PUT /api/v1/teams/{teamId}/members/{userId}',
        'DELETE /api/v1/teams/{teamId}/members/{userId}',
        'POST /api/v1/orgs/{orgId}/datasets',
        'GET /api/v1/datasets',
        'GET /api/v1/datasets/{id}',
        'PATCH /api/v1/datasets/{id}',
        'DELETE /api/v1/datasets/{id}',
        'GET /api/v1/datasets/{id}/sharing',
        'PUT /api/v1/datasets/{id}/sharing/users/{userId}',
        'DELETE /api/v1/datasets/{id}/sharing/users/{userId}',
        'PUT /api/v1/datasets/{id}/sharing/teams/{teamId}',
        'DELETE /api/v1/datasets/{id}/sharing/teams/{teamId}',
      ]),
    );
  });
});
