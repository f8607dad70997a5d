import { Migrator } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/store/database.js';
import { migrationProvider } from '../../src/store/migrations/index.js';
import { DATABASES, openTestStore } from '../helpers/databases.js';

describe.each(DATABASES)('upgrading a database with data in it (%s)', (db) => {
  let close: (() => Promise<void>) | undefined;
  afterAll(() => close?.());

  it('migrates from the first schema to the latest without losing a row', async () => {
    const opened = await openTestStore(db, { migrated: false });
    const { store } = opened;
    close = opened.close;
    const migrator = new Migrator({
      db: store.db,
      provider: migrationProvider(store.dialect),
      ...(store.schema ? { migrationTableSchema: store.schema } : {}),
    });
    const first = await migrator.migrateTo('001-initial');
    expect(first.error).toBeUndefined();

    const raw = store.db as unknown as import('kysely').Kysely<Record<string, Record<string, unknown>>>;
    await raw
      .insertInto('users')
      .values({ id: 'usr_old', email: 'old@example.test', name: 'Old', password_hash: 'scrypt$x', created_at: 1 })
      .execute();
    await raw.insertInto('orgs').values({ id: 'org_old', name: 'Old Co', created_at: 1 }).execute();
    await raw
      .insertInto('org_members')
      .values({ org_id: 'org_old', user_id: 'usr_old', role: 'admin', process_datasets: 0, created_at: 1 })
      .execute();
    await raw
      .insertInto('datasets')
      .values({
        id: 'ds_old',
        org_id: 'org_old',
        name: 'Archive',
        name_key: 'archive',
        description: '',
        visibility: 'organization',
        predecessor_id: null,
        item_count: 0,
        created_at: 1,
        updated_at: 1,
      })
      .execute();
    await raw.insertInto('teams').values({ id: 'team_old', org_id: 'org_old', name: 'Old team', created_at: 1 }).execute();
    await raw
      .insertInto('team_grants')
      .values({ dataset_id: 'ds_old', team_id: 'team_old', level: 3, expires_at: null, granted_by: 'usr_old', created_at: 1 })
      .execute();
    await raw
      .insertInto('user_grants')
      .values({
        dataset_id: 'ds_old',
        user_id: 'usr_old',
        level: 4,
        expires_at: null,
        granted_by: 'usr_old',
        created_at: 1,
        last_used_at: null,
      })
      .execute();

    await raw
      .insertInto('sessions')
      .values({ token_hash: 'f00dfeedf00dfeedf00dfeedf00dfeed', user_id: 'usr_old', created_at: 1, expires_at: 9e12 })
      .execute();
    await raw
      .insertInto('access_tokens')
      .values({ id: 'tok_old', user_id: 'usr_old', name: 'etl', token_hash: 'abc', created_at: 1, last_used_at: null })
      .execute();

    const before = Date.now();
    await migrate(store);
    // Sessions gain a public id that is not their secret; tokens become admin-scoped and end 90 days after the upgrade.
    const [session] = await store.db.selectFrom('sessions').select(['id', 'token_hash']).execute();
    expect(session?.id).toMatch(/^ses_/);
    expect(session?.id).not.toContain(session?.token_hash);
    const [token] = await store.db.selectFrom('access_tokens').select(['scope', 'expires_at']).execute();
    expect(token?.scope).toBe('admin');
    expect(Number(token?.expires_at)).toBeGreaterThanOrEqual(before + 90 * 24 * 3600 * 1000);
    expect((await store.db.selectFrom('users').select('email_verified').executeTakeFirstOrThrow()).email_verified).toBe(0);
    const latest = await migrator.getMigrations();
    expect(latest.every((m) => m.executedAt !== undefined)).toBe(true);
    expect(await store.db.selectFrom('datasets').select(['id', 'name']).execute()).toEqual([{ id: 'ds_old', name: 'Archive' }]);
    expect(await store.db.selectFrom('team_grants').select(['team_id', 'level', 'last_used_at']).execute()).toEqual([
      { team_id: 'team_old', level: 3, last_used_at: null },
    ]);
    expect(await store.db.selectFrom('user_grants').select(['user_id', 'level']).execute()).toEqual([{ user_id: 'usr_old', level: 4 }]);
    expect(await store.db.selectFrom('items').selectAll().execute()).toEqual([]);
    // Migrating again is a no-op.
    await migrate(store);
  });
});
