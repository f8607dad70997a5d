import type { Logger } from 'pino';
import type { OidcClient } from './accounts/oidc-client.js';
import type { Clock } from './clock.js';
import type { SignupMode } from './config.js';
import type { BlobStore } from './content/blobs.js';
import type { Delivery } from './mail/delivery.js';
import type { JobRunner } from './processing/runner.js';
import type { Random } from './secrets.js';
import type { Db, Store } from './store/database.js';
import type { WebhookSettings } from './webhooks/settings.js';

/** What every use case may use. Built once in main.ts (or by a test) and passed down. */
export interface Context {
  store: Store;
  db: Db;
  clock: Clock;
  /** The one source of ids and secrets of this instance; injected like the clock. */
  random: Random;
  delivery: Delivery;
  jobs: JobRunner;
  publicUrl: URL;
  logger: Logger;
  blobs: BlobStore;
  maxUploadBytes: number;
  /** Datasets with more items than this are processed in the background (202 with a job). */
  processInlineLimit: number;
  /** How long a processing request waits for a smaller dataset before answering 202 with the job. */
  processInlineWaitMs: number;
  signup: SignupMode;
  ipLimits: boolean;
  /** Which webhook URLs are allowed, and how their host names resolve. */
  webhooks: WebhookSettings;
  /** The OpenID Connect provider to sign in with (OIDC_*), or null. */
  oidc: OidcClient | null;
  /** False under OIDC_ONLY: password login and sign-up are refused. */
  passwordLogin: boolean;
}

/** Runs `work` in one transaction: every multi-row change goes through here. */
export function inTransaction<T>(ctx: Pick<Context, 'db'>, work: (tx: Db) => Promise<T>): Promise<T> {
  return ctx.db.transaction().execute(work);
}

export function appLink(ctx: Pick<Context, 'publicUrl'>, pathAndFragment: string): string {
  return new URL(pathAndFragment, ctx.publicUrl).toString();
}
