import path from 'node:path';
import type { Logger } from 'pino';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import { FilesystemBlobStore } from './content/blobs.js';
import type { Context } from './context.js';
import { buildServer } from './http/server.js';
import { Delivery, type DeliveryOptions } from './mail/delivery.js';
import { type Mailer, outboxMailer, smtpMailer } from './mail/mailer.js';
import { migrate, openStore } from './store/database.js';

export interface Overrides {
  clock?: Clock;
  mailer?: Mailer;
  delivery?: DeliveryOptions;
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
  const delivery = new Delivery(mailer, logger, overrides.delivery);
  const ctx: Context = {
    store,
    db: store.db,
    clock: overrides.clock ?? { now: () => Date.now() },
    delivery,
    publicUrl: config.publicUrl,
    logger,
    blobs: new FilesystemBlobStore(path.join(config.dataDir, 'blobs')),
    maxUploadBytes: config.maxUploadBytes,
    signup: config.signup,
    ipLimits: config.ipLimits,
    processInlineLimit: overrides.processInlineLimit ?? 2_000,
    processInlineWaitMs: overrides.processInlineWaitMs ?? 1_000,
  };
  const app = await buildServer(ctx, overrides.webRoot === undefined ? {} : { webRoot: overrides.webRoot });

  /** Stops taking requests, lets those under way finish, gives mail a moment, then closes the database. */
  async function stop(mailGraceMs = 5_000): Promise<void> {
    await app.close();
    delivery.close();
    await Promise.race([delivery.drain(), new Promise((resolve) => setTimeout(resolve, mailGraceMs).unref())]);
    mailer.close();
    await store.close();
  }
  return { app, ctx, store, stop };
}
