import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';
import { startTessera } from '../../src/app.js';
import type { Clock } from '../../src/clock.js';
import type { OidcConfig } from '../../src/config.js';
import { type Actor, logIn, PASSWORD, signUp } from '../helpers/client.js';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.js';
import { freePort, ROOT } from '../helpers/process.js';
import { MemoryMailer, type TestServer } from '../helpers/server.js';
import { joinOrg } from '../helpers/world.js';

export { PASSWORD };

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
  '--disable-quic',
];

/** Real time that a test can move forward or back, so the log keeps its order and links can expire. */
class RunningClock implements Clock {
  private offset = 0;
  now(): number {
    return Date.now() + this.offset;
  }
  advance(ms: number): void {
    this.offset += ms;
  }
}

export type WebServer = Awaited<ReturnType<typeof startWebServer>>;

type WebServerOptions = {
  port?: number;
  oidc?: OidcConfig;
  /** The waits between a webhook's attempts, instead of the product's back-off with jitter. */
  webhookRetryMs?: number[];
  /** The waits between an e-mail's attempts, likewise. */
  mailRetryMs?: number[];
};

/** The real server on a real port, serving the built web app, with PUBLIC_URL its own address. */
export async function startWebServer(options: WebServerOptions = {}) {
  const webRoot = path.join(ROOT, 'dist', 'web');
  if (!fs.existsSync(path.join(webRoot, 'index.html'))) throw new Error('The web app is not built: run npm run build:web');
  const port = options.port ?? (await freePort());
  const database: TestDatabase = await createTestDatabase('sqlite');
  const clock = new RunningClock();
  const mailer = new MemoryMailer();
  const url = `http://127.0.0.1:${port}`;
  const tessera = await startTessera(
    {
      port,
      host: '127.0.0.1',
      dataDir: path.dirname((database.config as { file: string }).file),
      database: database.config,
      publicUrl: new URL(url),
      smtpUrl: undefined,
      mailFrom: 'Tessera <no-reply@tessera.test>',
      logLevel: 'warn',
      maxUploadBytes: 20 * 1024 * 1024,
      blobs: { kind: 'filesystem' },
      signup: 'open',
      ipLimits: false,
      // Webhook receivers in browser tests listen on 127.0.0.1.
      webhookAllowPrivate: true,
      oidc: options.oidc ?? null,
    },
    pino({ level: 'warn' }, new Writable({ write: (_c, _e, done) => done() })),
    {
      clock,
      mailer,
      webRoot,
      // The outbox keeps the same time, so a test that moves the clock moves its retries too.
      delivery: { clock, ...(options.mailRetryMs ? { retry: { delaysMs: options.mailRetryMs } } : {}) },
      // A receiver that holds its answer is waited for as long as a test may take.
      ...(options.webhookRetryMs ? { webhooks: { retry: { delaysMs: options.webhookRetryMs }, timeoutMs: 60_000 } } : {}),
    },
  );
  await tessera.app.listen({ port, host: '127.0.0.1' });
  // The shape the API-level world helpers read (app, ctx, mailer), for seeding over the same server.
  const seedable = { app: tessera.app, ctx: tessera.ctx, mailer, smtp: undefined } as unknown as TestServer;
  return {
    url,
    clock,
    app: tessera.app,
    ctx: tessera.ctx,
    mailer,
    /** The newest link of `kind` mailed to `email`. */
    async link(email: string, kind: 'invite' | 'reset' | 'verify' = 'invite'): Promise<string> {
      await tessera.ctx.delivery.drain();
      const mail = mailer.sent.filter((m) => m.to === email).at(-1);
      const match = mail ? new RegExp(`${url}/${kind}#token=[A-Za-z0-9_-]+`).exec(mail.text) : null;
      if (!match) throw new Error(`No ${kind} link mailed to ${email}`);
      return match[0];
    },
    /** Someone with an account, signed up over the API with a readable address. */
    async person(name: string, email: string): Promise<Actor> {
      return signUp(tessera.app, name, email);
    },
    async logIn(email: string): Promise<Actor> {
      return logIn(tessera.app, email);
    },
    /** Makes `user` a member of the org through the real invitation e-mail. */
    async join(admin: Actor, orgId: string, user: Actor, role: 'admin' | 'member' = 'member'): Promise<void> {
      await joinOrg(seedable, admin, orgId, user, role);
    },
    async close() {
      await tessera.stop(100);
      await database.drop();
    },
  };
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
}

/**
 * The web server and the browser a test file shares, started before its tests and closed after
 * them, and the uncaught page errors its tests collect (to assert there were none).
 */
export function browserSuite(options: WebServerOptions = {}): { readonly server: WebServer; readonly browser: Browser; errors: string[] } {
  let server: WebServer | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    server = await startWebServer(options);
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });
  return {
    get server() {
      if (!server) throw new Error('the web server is not started');
      return server;
    },
    get browser() {
      if (!browser) throw new Error('the browser is not launched');
      return browser;
    },
    errors: [],
  };
}

/** A page that records every uncaught error in the app, for the test to assert there were none. */
export async function newPage(context: BrowserContext, errors: string[]): Promise<Page> {
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (error) => errors.push(error.message));
  return page;
}

/** A browser of its own for `actor`, already logged in with their session cookie. */
export async function pageAs(browser: Browser, server: WebServer, actor: Actor, errors: string[]): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.addCookies([{ name: 'tessera_session', value: actor.auth.cookie ?? '', url: server.url }]);
  return newPage(context, errors);
}

/** Resolves once `check` holds, failing the test with its last value otherwise. */
export async function eventually<T>(check: () => Promise<T>, expected: T): Promise<void> {
  await expect.poll(check, { timeout: 15_000 }).toEqual(expected);
}

export async function screenshot(page: Page, name: string): Promise<void> {
  // Screenshots show the page at rest: no caret blinking or spinner mid-turn.
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  await page.screenshot({ path: path.join(ROOT, 'docs', 'screenshots', `${name}.png`), fullPage: true, animations: 'disabled' });
}

/** A screenshot of one part of a page, such as a panel or a section. */
export async function screenshotOf(locator: ReturnType<Page['locator']>, name: string): Promise<void> {
  await locator.screenshot({ path: path.join(ROOT, 'docs', 'screenshots', `${name}.png`), animations: 'disabled' });
}
