import type { Kysely, Migration, MigrationProvider } from 'kysely';
import * as initial from './001-initial.js';
import * as content from './002-content.js';
import * as grantUsage from './003-grant-usage.js';
import * as accessReadPaths from './004-access-read-paths.js';
import * as identity from './005-identity.js';
import * as outbox from './007-outbox.js';
import * as blobHolds from './008-blob-holds.js';
import * as shareLinks from './009-share-links.js';
import * as webhooks from './010-webhooks.js';
import * as oidc from './011-oidc.js';
import * as scim from './012-scim.js';
import * as nameSearch from './013-name-search.js';
import * as memberCapability from './014-member-capability.js';
import * as grantExpiry from './015-grant-expiry.js';
import * as accessChanges from './016-access-changes.js';
import * as nameMatches from './017-name-matches.js';
import * as rateLimitWindows from './018-rate-limit-windows.js';
import * as nameTrigramStatistics from './019-name-trigram-statistics.js';
import * as accessChangesPostgres from './020-access-changes-postgres.js';

export type Dialect = 'sqlite' | 'postgres';

export interface MigrationContext {
  dialect: Dialect;
}

interface MigrationModule {
  up(db: Kysely<unknown>, context: MigrationContext): Promise<void>;
}

/** Numbered and append-only: a migration is never edited once it has landed. */
const MIGRATIONS: Record<string, MigrationModule> = {
  '001-initial': initial,
  '002-content': content,
  '003-grant-usage': grantUsage,
  '004-access-read-paths': accessReadPaths,
  '005-identity': identity,
  '007-outbox': outbox,
  '008-blob-holds': blobHolds,
  '009-share-links': shareLinks,
  '010-webhooks': webhooks,
  '011-oidc': oidc,
  '012-scim': scim,
  '013-name-search': nameSearch,
  '014-member-capability': memberCapability,
  '015-grant-expiry': grantExpiry,
  '016-access-changes': accessChanges,
  '017-name-matches': nameMatches,
  '018-rate-limit-windows': rateLimitWindows,
  '019-name-trigram-statistics': nameTrigramStatistics,
  '020-access-changes-postgres': accessChangesPostgres,
};

export function migrationProvider(dialect: Dialect): MigrationProvider {
  return {
    async getMigrations() {
      const migrations: Record<string, Migration> = {};
      for (const [name, module] of Object.entries(MIGRATIONS)) {
        migrations[name] = { up: (db) => module.up(db, { dialect }) };
      }
      return migrations;
    },
  };
}
