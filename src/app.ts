import path from 'node:path';
import type { Logger } from 'pino';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import { FilesystemBlobStore } from './content/blobs.js';
import type { Context } from './context.js';
import { buildServer } from './http/server.js';
import { Delivery, type DeliveryOptions } from './mail/delivery.js';
import { type Mailer, outboxMailer, smtpMailer } from './mail/mailer.js';
import { JobRunner, type JobRunnerOptions } from './processing/runner.js';
import { migrate, openStore } from './store/database.js';

export interface Overrides {
  clock?: Clock;
  mailer?: Mailer;
  delivery?: DeliveryOptions;
  jobs?: JobRunnerOptions;
  webRoot?: string;
  processInlineLimit?: number;
  processInlineWaitMs?: number;
}

/** Composition root: config → store → mailer → server. Used by main.ts and by tests. */
export async function startTessera(config: Config, logger: Logger, overrides: Overrides = {}) {
  const store = await openStore(config.database);
  await migrate(store);
  const mailer =
    overrides.mailer ??
    (config.smtpUrl ? smtpMailer(config.smtpUrl, config.mailFrom) : outboxMailer(config.dataDir, config.mailFrom, logger));
  const delivery = new Delivery(store, mailer, logger, { messageIdDomain: config.publicUrl.hostname, ...overrides.delivery });
  const jobs = new JobRunner(store, logger, overrides.jobs);
  const ctx: Context = {
    store,
    db: store.db,
    clock: overrides.clock ?? { now: () => Date.now() },
    delivery,
    jobs,
    publicUrl: config.publicUrl,
    logger,
    blobs: new FilesystemBlobStore(path.join(config.dataDir, 'blobs')),
    maxUploadBytes: config.maxUploadBytes,
    processInlineLimit: overrides.processInlineLimit ?? 2_000,
    processInlineWaitMs: overrides.processInlineWaitMs ?? 1_000,
  };
  let draining = false;
  const app = await buildServer(ctx, {
    ...(overrides.webRoot === undefined ? {} : { webRoot: overrides.webRoot }),
    isDraining: () => draining,
    metricsToken: config.metricsToken,
  });
  await delivery.start();
  await jobs.start(ctx);

  /**
   * Stops taking requests, lets those under way finish, gives mail under way up to `graceMs`
   * and leaves the rest queued, then closes the database.
   */
  async function stop(graceMs = 10_000): Promise<void> {
    draining = true;
    const deadline = Date.now() + graceMs;
    await Promise.race([app.close(), new Promise((resolve) => setTimeout(resolve, graceMs).unref())]);
    const left = Math.max(0, deadline - Date.now());
    await Promise.all([delivery.stop(left), jobs.stop(left)]);
    mailer.close();
    await store.close();
  }
  return { app, ctx, store, stop };
}
