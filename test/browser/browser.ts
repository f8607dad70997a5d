import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { startTessera } from '../../src/app.js';
import type { Clock } from '../../src/clock.js';

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

import { createTestDatabase, type TestDatabase } from '../helpers/databases.js';
import { freePort, ROOT } from '../helpers/process.js';
import { MemoryMailer } from '../helpers/server.js';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
  '--disable-quic',
];

/** The real server on a real port, serving the built web app, with PUBLIC_URL its own address. */
export async function startWebServer() {
  const webRoot = path.join(ROOT, 'dist', 'web');
  if (!fs.existsSync(path.join(webRoot, 'index.html'))) throw new Error('The web app is not built: run npm run build:web');
  const port = await freePort();
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
    },
    pino({ level: 'warn' }, new Writable({ write: (_c, _e, done) => done() })),
    { clock, mailer, webRoot },
  );
  await tessera.app.listen({ port, host: '127.0.0.1' });
  return {
    url,
    clock,
    ctx: tessera.ctx,
    /** The newest link of `kind` mailed to `email`. */
    async link(email: string, kind = 'invite'): Promise<string> {
      await tessera.ctx.delivery.drain();
      const mail = mailer.sent.filter((m) => m.to === email).at(-1);
      const match = mail ? new RegExp(`${url}/${kind}#token=[A-Za-z0-9_-]+`).exec(mail.text) : null;
      if (!match) throw new Error(`No ${kind} link mailed to ${email}`);
      return match[0];
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

/** A page that fails the test on any uncaught error in the app. */
export async function newPage(context: BrowserContext, errors: string[]): Promise<Page> {
  const page = await context.newPage();
  page.setDefaultTimeout(8_000);
  page.on('pageerror', (error) => errors.push(error.message));
  return page;
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(ROOT, 'docs', 'screenshots', `${name}.png`), fullPage: true });
}
