import path from 'node:path';
import type { Logger } from 'pino';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import { DatabaseBlobGuard, ProcessBlobGuard } from './content/blob-guard.js';
import { type BlobStore, FilesystemBlobStore } from './content/blobs.js';
import type { Context } from './context.js';
import { buildServer } from './http/server.js';
import { Delivery, type DeliveryOptions } from './mail/delivery.js';
import { type Mailer, outboxMailer, smtpMailer } from './mail/mailer.js';
import { migrate, openStore, type Store } from './store/database.js';

export interface Overrides {
  clock?: Clock;
  mailer?: Mailer;
  delivery?: DeliveryOptions;
  webRoot?: string;
  processInlineLimit?: number;
  processInlineWaitMs?: number;
}

/**
 * Item files where BLOB_URL says; the S3 client is loaded only then. On PostgreSQL several
 * instances may share the files, so holds on them live in the database.
 */
async function openBlobStore(config: Config, store: Store, clock: Clock): Promise<BlobStore> {
  const guard = store.dialect === 'postgres' ? new DatabaseBlobGuard(store.db, () => clock.now()) : new ProcessBlobGuard();
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
  const delivery = new Delivery(mailer, logger, overrides.delivery);
  const ctx: Context = {
    store,
    db: store.db,
    clock,
    delivery,
    publicUrl: config.publicUrl,
    logger,
    blobs,
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
    blobs.close();
    await store.close();
  }
  return { app, ctx, store, stop };
}
