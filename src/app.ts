import cluster from 'node:cluster';
import path from 'node:path';
import type { Logger } from 'pino';
import { attachUsageRecorder, UsageRecorder, type UsageRecorderOptions } from './access/usage.js';
import { OidcClient } from './accounts/oidc-client.js';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import { DatabaseBlobGuard, ProcessBlobGuard } from './content/blob-guard.js';
import { type BlobStore, FilesystemBlobStore } from './content/blobs.js';
import type { Context } from './context.js';
import { buildServer } from './http/server.js';
import { Delivery, type DeliveryOptions } from './mail/delivery.js';
import { type Mailer, outboxMailer, smtpMailer } from './mail/mailer.js';
import { JobRunner, type JobRunnerOptions } from './processing/runner.js';
import { Random } from './secrets.js';
import { migrate, openStore, type Store } from './store/database.js';
import { WebhookDelivery, type WebhookDeliveryOptions } from './webhooks/delivery.js';
import { type Resolver, systemResolver } from './webhooks/settings.js';

export interface Overrides {
  clock?: Clock;
  random?: Random;
  mailer?: Mailer;
  delivery?: DeliveryOptions;
  jobs?: JobRunnerOptions;
  webRoot?: string;
  /** Grant usage flushing; `flushEveryMs: 0` writes only on flush() and stop(). */
  usage?: UsageRecorderOptions;
  /** Waits between OpenID Connect discovery attempts while the provider is unreachable. */
  oidcRetryMs?: number[];
  processInlineLimit?: number;
  processInlineWaitMs?: number;
  /** Webhook delivery timing, and the resolver of webhook host names (tests inject a stub). */
  webhooks?: WebhookDeliveryOptions & { resolve?: Resolver };
}

/**
 * Item files where BLOB_URL says; the S3 client is loaded only then. On PostgreSQL several
 * instances may share the files, and on SQLite several server processes, so holds on them live
 * in the database.
 */
async function openBlobStore(config: Config, store: Store, clock: Clock): Promise<BlobStore> {
  // Several server processes (WORKERS) on one SQLite file share the files as instances do.
  const shared = store.dialect === 'postgres' || cluster.isWorker;
  const guard = shared ? new DatabaseBlobGuard(store.db, () => clock.now()) : new ProcessBlobGuard();
  if (config.blobs.kind === 'filesystem') return new FilesystemBlobStore(path.join(config.dataDir, 'blobs'), guard);
  const { openS3BlobStore } = await import('./content/s3-blobs.js');
  return openS3BlobStore(config.blobs, guard);
}

/** Composition root: config → store → mailer → server. Used by main.ts and by tests. */
export async function startTessera(config: Config, logger: Logger, overrides: Overrides = {}) {
  const store = await openStore(config.database);
  await migrate(store);
  const clock = overrides.clock ?? { now: () => Date.now() };
  const blobs = await openBlobStore(config, store, clock).catch(async (error: unknown) => {
    await store.close();
    throw error;
  });
  const mailer =
    overrides.mailer ??
    (config.smtpUrl ? smtpMailer(config.smtpUrl, config.mailFrom) : outboxMailer(config.dataDir, config.mailFrom, logger));
  const random = overrides.random ?? new Random();
  const delivery = new Delivery(store, mailer, logger, {
    messageIdDomain: config.publicUrl.hostname,
    instanceId: random.id('inst'),
    ...overrides.delivery,
  });
  const jobs = new JobRunner(store, logger, { instanceId: random.id('inst'), ...overrides.jobs });
  const usage = new UsageRecorder(store.db, logger, overrides.usage);
  attachUsageRecorder(store.db, usage);
  const oidc = config.oidc ? new OidcClient(config.oidc, logger, clock, overrides.oidcRetryMs) : null;
  const ctx: Context = {
    store,
    db: store.db,
    clock,
    random,
    delivery,
    jobs,
    usage,
    publicUrl: config.publicUrl,
    logger,
    blobs,
    maxUploadBytes: config.maxUploadBytes,
    signup: config.signup,
    ipLimits: config.ipLimits,
    oidc,
    passwordLogin: !config.oidc?.only,
    processInlineLimit: overrides.processInlineLimit ?? 2_000,
    processInlineWaitMs: overrides.processInlineWaitMs ?? 1_000,
    webhooks: { allowPrivate: config.webhookAllowPrivate ?? false, resolve: overrides.webhooks?.resolve ?? systemResolver },
  };
  const webhookDelivery = new WebhookDelivery(ctx, overrides.webhooks);
  let draining = false;
  const app = await buildServer(ctx, {
    ...(overrides.webRoot === undefined ? {} : { webRoot: overrides.webRoot }),
    isDraining: () => draining,
    metricsToken: config.metricsToken,
  });
  await delivery.start();
  await webhookDelivery.start();
  await jobs.start(ctx);
  usage.start();
  // Not awaited: an unreachable provider must not hold the server back (it is retried with back-off).
  void oidc?.start();

  /**
   * Stops taking requests, lets those under way finish, gives mail under way up to `graceMs`
   * and leaves the rest queued, then closes the database.
   */
  async function stop(graceMs = 10_000): Promise<void> {
    draining = true;
    oidc?.stop();
    const deadline = Date.now() + graceMs;
    await Promise.race([app.close(), new Promise((resolve) => setTimeout(resolve, graceMs).unref())]);
    const left = Math.max(0, deadline - Date.now());
    await Promise.all([delivery.stop(left), webhookDelivery.stop(left), jobs.stop(left), usage.stop()]);
    mailer.close();
    blobs.close();
    await store.close();
  }
  return { app, ctx, store, stop, webhookDelivery };
}
