import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Actor, uniqueEmail } from '../helpers/client.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/** The directives of a Content-Security-Policy header, by name. */
function directives(header: unknown): Record<string, string> {
  return Object.fromEntries(
    String(header)
      .split(';')
      .map((d) => d.trim())
      .filter(Boolean)
      .map((d) => {
        const [name, ...values] = d.split(/\s+/);
        return [name!, values.join(' ')];
      }),
  );
}

async function signUpRaw(server: TestServer) {
  return server.app.inject({
    method: 'POST',
    url: '/api/v1/auth/signup',
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({ email: uniqueEmail('hdr'), password: 'a long and unusual passphrase 81', name: 'Hedda' }),
  });
}

describe('security headers and the session cookie over http', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ db: 'sqlite' });
  });
  afterAll(async () => {
    await server.close();
  });

  it('sends a strict CSP with base-uri none, and the other headers, on API answers, errors and the docs', async () => {
    const anon = new Actor(server.app);
    for (const url of ['/api/v1/openapi.json', '/api/v1/me', '/api/v1/nope', '/api/docs/', '/healthz']) {
      const res = await anon.get(url);
      const csp = directives(res.headers['content-security-policy']);
      expect(csp, url).toMatchObject({
        'default-src': "'self'",
        'base-uri': "'none'",
        'script-src': "'self'",
        'object-src': "'none'",
        'frame-ancestors': "'none'",
      });
      expect(csp['upgrade-insecure-requests'], url).toBeUndefined();
      expect(res.headers['x-content-type-options'], url).toBe('nosniff');
      expect(res.headers['x-frame-options'], url).toBe('DENY');
      expect(res.headers['referrer-policy'], url).toBe('no-referrer');
      expect(res.headers['strict-transport-security'], url).toBeUndefined();
    }
    const docs = await anon.get('/api/docs/');
    expect(docs.status).toBe(200);
    // Swagger UI's page loads only scripts of its own, which script-src 'self' allows.
    expect(String(docs.body)).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
  });

  it('names the session cookie tessera_session over http', async () => {
    const res = await signUpRaw(server);
    expect(res.statusCode).toBe(201);
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toMatch(/^tessera_session=[A-Za-z0-9_-]+;/);
    expect(cookie).not.toMatch(/Secure/i);
  });
});

describe('security headers and the session cookie over https', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ db: 'sqlite', publicUrl: 'https://tessera.test' });
  });
  afterAll(async () => {
    await server.close();
  });

  it('adds HSTS and upgrade-insecure-requests', async () => {
    const res = await new Actor(server.app).get('/api/v1/openapi.json');
    expect(res.headers['strict-transport-security']).toMatch(/^max-age=\d{8}/);
    expect(directives(res.headers['content-security-policy'])).toMatchObject({ 'base-uri': "'none'", 'upgrade-insecure-requests': '' });
  });

  it('names the session cookie __Host-tessera_session: Secure, path /, no Domain; the old name no longer logs in', async () => {
    const res = await signUpRaw(server);
    expect(res.statusCode).toBe(201);
    const cookie = String(res.headers['set-cookie']);
    const match = /^__Host-tessera_session=([A-Za-z0-9_-]+);/.exec(cookie);
    expect(match).not.toBeNull();
    expect(cookie).toMatch(/; Secure/);
    expect(cookie).toMatch(/; Path=\/(;|$)/);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).not.toMatch(/Domain=/i);
    const me = (name: string) => server.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: `${name}=${match![1]}` } });
    expect((await me('__Host-tessera_session')).statusCode).toBe(200);
    expect((await me('tessera_session')).statusCode).toBe(401);
    const doc = (await new Actor(server.app).get('/api/v1/openapi.json')).body;
    expect(doc.components.securitySchemes.session).toMatchObject({ in: 'cookie', name: '__Host-tessera_session' });
  });
});
