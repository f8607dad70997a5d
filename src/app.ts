import path from 'node:path';
import type { Logger } from 'pino';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import { type BlobStore, FilesystemBlobStore } from './content/blobs.js';
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

/** The S3 client is loaded only when BLOB_URL asks for it. */
async function openBlobStore(config: Config): Promise<BlobStore> {
  if (config.blobs.kind === 'filesystem') return new FilesystemBlobStore(path.join(config.dataDir, 'blobs'));
  const { openS3BlobStore } = await import('./content/s3-blobs.js');
  return openS3BlobStore(config.blobs);
}

/** Composition root: config → store → mailer → server. Used by main.ts and by tests. */
export async function startTessera(config: Config, logger: Logger, overrides: Overrides = {}) {
  const blobs = await openBlobStore(config);
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
    blobs,
    maxUploadBytes: config.maxUploadBytes,
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
    blobs.close();
    await store.close();
  }
  return { app, ctx, store, stop };
}
