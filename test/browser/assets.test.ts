import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebServer, type WebServer } from './browser.js';

describe('the web app as served', () => {
  let server: WebServer;
  beforeAll(async () => {
    server = await startWebServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('compresses the app, caches its hashed assets for good and checks index.html every time', async () => {
    const shell = await fetch(`${server.url}/`, { headers: { 'accept-encoding': 'gzip' } });
    expect(shell.status).toBe(200);
    expect(shell.headers.get('cache-control')).toBe('no-cache');
    const html = await shell.text();
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();

    for (const encoding of ['gzip', 'br']) {
      const asset = await fetch(`${server.url}${script}`, { headers: { 'accept-encoding': encoding } });
      expect(asset.status).toBe(200);
      expect(asset.headers.get('content-encoding')).toBe(encoding);
      expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect((await asset.text()).length).toBeGreaterThan(10_000);
    }

    // A client route loads the same shell, never cached for good.
    const route = await fetch(`${server.url}/datasets/abc`);
    expect(route.status).toBe(200);
    expect(route.headers.get('cache-control')).not.toContain('immutable');

    // API answers are not compressed: they can hold secrets beside text the request chose.
    const api = await fetch(`${server.url}/api/v1/openapi.json`, { headers: { 'accept-encoding': 'gzip' } });
    expect(api.headers.get('content-encoding')).toBeNull();
  });
});
