import path from 'node:path';
import { createServer, type ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/process.js';
import { startWebServer, type WebServer } from './browser.js';

describe('npm run dev:web: the app with hot reload in front of the API', () => {
  let server: WebServer;
  let vite: ViteDevServer;
  let viteUrl: string;
  beforeAll(async () => {
    server = await startWebServer();
    process.env.TESSERA_API = server.url;
    vite = await createServer({
      configFile: path.join(ROOT, 'web', 'vite.config.ts'),
      server: { port: 0, host: '127.0.0.1', hmr: false },
      logLevel: 'silent',
    });
    await vite.listen();
    viteUrl = vite.resolvedUrls?.local[0]?.replace(/\/$/, '') ?? '';
  });
  afterAll(async () => {
    delete process.env.TESSERA_API;
    await vite?.close();
    await server?.close();
  });

  it('passes changes made from the Vite origin through to the API, which takes them', async () => {
    expect(viteUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(viteUrl).not.toBe(server.url);
    const signup = await fetch(`${viteUrl}/api/v1/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: viteUrl },
      body: JSON.stringify({ email: 'dev@survey.test', password: 'quiet lantern orbits the harbour', name: 'Dev Eloper' }),
    });
    expect(signup.status).toBe(201);
    const cookie = signup.headers.get('set-cookie')?.split(';')[0] ?? '';
    const org = await fetch(`${viteUrl}/api/v1/orgs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: viteUrl, cookie },
      body: JSON.stringify({ name: 'Dev Co' }),
    });
    expect(org.status).toBe(201);

    // The server itself still refuses a change from a foreign origin.
    const direct = await fetch(`${server.url}/api/v1/orgs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: viteUrl, cookie },
      body: JSON.stringify({ name: 'Elsewhere Co' }),
    });
    expect(direct.status).toBe(403);
  });
});
