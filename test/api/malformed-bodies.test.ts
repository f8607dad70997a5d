import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Response } from '../helpers/client.js';
import { DATABASES } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { blobFiles, multipart } from '../helpers/upload.js';
import { world } from '../helpers/world.js';
import { expectError } from './errors.js';

describe.each(DATABASES)('malformed request bodies (%s)', (db) => {
  let server: TestServer;
  let token: string;
  let cookie: string;
  let datasetId: string;
  let orgId: string;
  beforeAll(async () => {
    server = await startTestServer({ db });
    const w = await world(server).org('acme').dataset('cams').build();
    const admin = w.orgs.acme!.admin;
    cookie = admin.auth.cookie!;
    token = (await admin.post('/api/v1/me/tokens', { name: 'scripts' })).body.token;
    datasetId = w.datasets.cams!;
    orgId = w.orgs.acme!.id;
  });
  afterAll(async () => {
    await server.close();
  });

  async function post(url: string, contentType: string, payload: string | Buffer, auth: 'bearer' | 'cookie' = 'bearer'): Promise<Response> {
    const res = await server.app.inject({
      method: 'POST',
      url,
      headers: {
        'content-type': contentType,
        ...(auth === 'bearer'
          ? { authorization: `Bearer ${token}` }
          : { cookie: `tessera_session=${cookie}`, origin: 'http://tessera.test' }),
      },
      payload,
    });
    return { status: res.statusCode, body: res.json(), headers: res.headers };
  }

  const b = 'tesseraBoundary';
  const part = (name: string) =>
    `--${b}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: application/octet-stream\r\n\r\n`;

  it('answers a truncated or unreadable multipart upload with 400, storing nothing', async () => {
    const items = `/api/v1/datasets/${datasetId}/items`;
    const whole = multipart([{ name: 'whole.txt', content: Buffer.from('a whole file') }]);
    const bodies: [string, string | Buffer][] = [
      // Cut off in the middle of the file, right after it, and inside a part's headers.
      [`multipart/form-data; boundary=${b}`, `${part('cut.txt')}the first half of a fi`],
      [`multipart/form-data; boundary=${b}`, `${part('cut.txt')}a file\r\n`],
      [`multipart/form-data; boundary=${b}`, `--${b}\r\nContent-Dispos`],
      // A whole first file, then a second cut off: nothing of the request is kept.
      [`multipart/form-data; boundary=${b}`, `${part('one.txt')}one\r\n${part('two.txt')}tw`],
      // A real body cut short, as a dropped connection leaves it.
      [whole.contentType, whole.payload.subarray(0, whole.payload.length - 20)],
      ['multipart/form-data', `${part('x.txt')}x\r\n--${b}--\r\n`],
      ['multipart/form-data; boundary=', `${part('x.txt')}x\r\n--${b}--\r\n`],
      [`multipart/form-data; boundary=${b}`, 'not multipart at all'],
    ];
    for (const [contentType, payload] of bodies) {
      const res = await post(items, contentType, payload);
      expect([contentType, String(payload).slice(0, 40), res.status]).toEqual([contentType, String(payload).slice(0, 40), 400]);
      expectError(res, 400, 'invalid_request');
      // From the browser the CSRF rule may refuse first (a multipart body without a boundary is not an upload): a 4xx all the same.
      const fromApp = await post(items, contentType, payload, 'cookie');
      expect(fromApp.status === 400 || fromApp.status === 403).toBe(true);
      expectError(fromApp, fromApp.status, fromApp.status === 400 ? 'invalid_request' : 'csrf_rejected');
    }
    expectError(await post(items, `multipart/form-data; boundary=${b}`, ''), 400, 'invalid_request');
    expectError(await post(items, 'application/json', '{}'), 400, 'invalid_request');
    expectError(await post(items, 'text/plain', 'hello'), 400, 'invalid_request');
    const listed = await server.app.inject({ method: 'GET', url: items, headers: { authorization: `Bearer ${token}` } });
    expect(listed.json().items).toEqual([]);
    expect(blobFiles(server)).toEqual([]);
    expect(server.logLines.filter((l) => l.includes('"level":50'))).toEqual([]);
  });

  it('reads multipart only on the upload route: a route without a body leaves one unread and ignores it', async () => {
    const files = `${part('x.txt')}x\r\n--${b}--\r\n`;
    const ignored = await server.app.inject({
      method: 'POST',
      url: '/api/v1/auth/logout',
      headers: { 'content-type': `multipart/form-data; boundary=${b}`, authorization: `Bearer ${token}` },
      payload: files,
    });
    expect(ignored.statusCode).toBe(204);
    expect(ignored.headers.connection).not.toBe('close');
    // The upload route, in its own scope, still reads the same body as files.
    const uploaded = await post(`/api/v1/datasets/${datasetId}/items`, `multipart/form-data; boundary=${b}`, files);
    expect(uploaded.status).toBe(201);
    expect(uploaded.body.items.map((i: { name: string }) => i.name)).toEqual(['x.txt']);
  });

  it('answers bad JSON, multipart and unknown content types on JSON routes with a 4xx', async () => {
    const teams = `/api/v1/orgs/${orgId}/teams`;
    const cases: [string, string, number][] = [
      ['application/json', '{"name":', 400],
      ['application/json', `${'['.repeat(50_000)}${']'.repeat(50_000)}`, 400],
      ['application/json', 'null', 400],
      ['text/plain', '{"name":"x"}', 400],
      [`multipart/form-data; boundary=${b}`, `${part('x.txt')}x\r\n--${b}--\r\n`, 400],
      [`multipart/form-data; boundary=${b}`, `${part('x.txt')}x`, 400],
      ['application/x-www-form-urlencoded', 'name=x', 415],
      ['image/png', '\x89PNG', 415],
      ['////', '{"name":"x"}', 415],
    ];
    for (const [contentType, payload, status] of cases) {
      const res = await post(teams, contentType, payload);
      expect([contentType, res.status]).toEqual([contentType, status]);
      expect(res.body).toEqual({
        error: { code: expect.any(String), message: expect.any(String), ...(res.body.error.details ? { details: expect.anything() } : {}) },
      });
    }
    const gzip = await server.app.inject({
      method: 'POST',
      url: teams,
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', authorization: `Bearer ${token}` },
      payload: 'not gzip',
    });
    expect(gzip.statusCode).toBeGreaterThanOrEqual(400);
    expect(gzip.statusCode).toBeLessThan(500);
    expect(server.logLines.filter((l) => l.includes('"level":50'))).toEqual([]);
  });
});
