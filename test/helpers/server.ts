import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { type Overrides, startTessera } from '../../src/app.js';
import type { BlobConfig, Config } from '../../src/config.js';
import { createLogger } from '../../src/logging.js';
import type { Mailer, MailMessage } from '../../src/mail/mailer.js';
import { TestClock } from './clock.js';
import { holdToContract } from './contract.js';
import { createTestDatabase, type DatabaseKind, type TestDatabase } from './databases.js';
import type { SmtpSink } from './smtp.js';

export const PUBLIC_URL = 'http://tessera.test';

/** Keeps what Tessera would have mailed, for tests that do not need a real SMTP server. */
export class MemoryMailer implements Mailer {
  readonly sent: MailMessage[] = [];
  async send(message: MailMessage): Promise<void> {
    this.sent.push(message);
  }
  close(): void {}
}

export interface TestServerOptions {
  db: DatabaseKind;
  clock?: TestClock;
  /** Share another server's database (several instances on one PostgreSQL). */
  database?: TestDatabase;
  /** A real SMTP server to deliver to (otherwise mail stays in memory). */
  smtp?: SmtpSink;
  smtpUrl?: string;
  mailer?: Mailer;
  /** Mail goes to the dev outbox under the data directory, as with no SMTP_URL. */
  outbox?: boolean;
  retryDelaysMs?: number[];
  metricsToken?: string;
  maxUploadBytes?: number;
  /** Where item files go; DATA_DIR/blobs unless told. */
  blobs?: BlobConfig;
  /** SIGNUP: open unless a test says otherwise. */
  signup?: Config['signup'];
  /** IP_LIMITS: off (a test rig signs many people up from one address) unless a test says otherwise. */
  ipLimits?: boolean;
  processInlineLimit?: number;
  /** How long a processing request waits before answering 202; long by default, so small datasets answer 201 however busy the machine. */
  processInlineWaitMs?: number;
  /** Another PUBLIC_URL than http://tessera.test (https, say). */
  publicUrl?: string;
  /** WEBHOOK_ALLOW_PRIVATE: off unless a test says otherwise. */
  webhookAllowPrivate?: boolean;
  /** Webhook delivery timing and the host-name resolver; by default a stub that resolves nothing (never real DNS). */
  webhooks?: Overrides['webhooks'];
  /** Grant usage flushing (by default every few seconds, as in production). */
  usage?: Overrides['usage'];
  /** An OpenID Connect provider to sign in with (OIDC_*). */
  oidc?: Config['oidc'];
  /** Waits between discovery attempts while the provider does not answer. */
  oidcRetryMs?: number[];
}

/** Tests never ask real DNS: every name is unknown unless a test injects its own resolver. */
const noDns = async (hostname: string) => {
  throw Object.assign(new Error(`${hostname} is not resolved in tests`), { code: 'ENOTFOUND' });
};

/** The production logger (redaction and request serializers included), writing its lines to memory. */
export function memoryLogger() {
  const lines: string[] = [];
  const logger = createLogger(
    'info',
    new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    }),
  );
  return { logger, lines };
}

export type TestServer = Awaited<ReturnType<typeof startTestServer>>;

/** A real Tessera server (HTTP through fastify.inject) on a fresh database of its own. */
export async function startTestServer(options: TestServerOptions) {
  const database = options.database ?? (await createTestDatabase(options.db));
  const clock = options.clock ?? new TestClock();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-data-'));
  const { logger, lines: logLines } = memoryLogger();
  const config: Config = {
    port: 0,
    host: '127.0.0.1',
    dataDir,
    database: database.config,
    publicUrl: new URL(options.publicUrl ?? PUBLIC_URL),
    smtpUrl: options.smtp?.url ?? options.smtpUrl,
    mailFrom: 'Tessera <no-reply@tessera.test>',
    logLevel: 'info',
    maxUploadBytes: options.maxUploadBytes ?? 10 * 1024 * 1024,
    blobs: options.blobs ?? { kind: 'filesystem' },
    signup: options.signup ?? 'open',
    ipLimits: options.ipLimits ?? false,
    metricsToken: options.metricsToken,
    webhookAllowPrivate: options.webhookAllowPrivate ?? false,
    oidc: options.oidc ?? null,
  };
  const mailer = options.smtp || options.smtpUrl || options.outbox ? undefined : (options.mailer ?? new MemoryMailer());
  const overrides: Overrides = {
    ...(options.processInlineLimit === undefined ? {} : { processInlineLimit: options.processInlineLimit }),
    processInlineWaitMs: options.processInlineWaitMs ?? 60_000,
    clock,
    ...(options.oidcRetryMs === undefined ? {} : { oidcRetryMs: options.oidcRetryMs }),
    ...(mailer ? { mailer } : {}),
    delivery: { retry: { delaysMs: options.retryDelaysMs ?? [20, 40, 80] } },
    webhooks: { resolve: noDns, ...options.webhooks },
    ...(options.usage ? { usage: options.usage } : {}),
  };
  const ownsDatabase = options.database === undefined;
  const tessera = await startTessera(config, logger, overrides);
  await tessera.app.ready();
  holdToContract(tessera.app);
  const server = {
    ...tessera,
    database,
    dataDir,
    clock,
    logLines,
    mailer: mailer instanceof MemoryMailer ? mailer : undefined,
    smtp: options.smtp,
    async close() {
      await tessera.stop(200);
      if (ownsDatabase) await database.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return server;
}
