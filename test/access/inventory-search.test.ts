import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datasetNameKey, listInventory } from '../../src/access/inventory.js';
import { migrate, openStore, type Store } from '../../src/store/database.js';
import { createTestDatabase, DATABASES, type TestDatabase } from '../helpers/databases.js';

const NOW = Date.parse('2026-03-01T12:00:00Z');

// Names with LIKE's special characters, letters beyond ASCII, and names too short for a trigram.
const NAMES = [
  'Alpha',
  'alphabet soup',
  'ALPHA two',
  '50% off',
  '50_50 split',
  'a%b',
  'a_b',
  'Ünïcode Ünïon',
  'École',
  'école normale',
  'x',
  'xy',
  'Sonar 1234',
  'sonar 12',
  'radar',
  'Beta ray',
];

// Terms of one and two characters (served by the keyset scan) and of three or more (the trigram index).
const TERMS = [
  'a',
  'AL',
  'alp',
  'ALPHA',
  '%',
  '_',
  '50%',
  '0_5',
  'a%b',
  'a_b',
  '%b',
  'ünï',
  'ÜNÏCODE',
  'éco',
  'École',
  'x',
  'xy',
  '1234',
  'zzz',
  ' s',
  'a r',
];

describe.each(DATABASES)('the inventory name search equals a plain filter of what the user may see (%s)', (db) => {
  let database: TestDatabase;
  let store: Store;
  const user = 'search_u';
  beforeAll(async () => {
    database = await createTestDatabase(db);
    store = await openStore(database.config);
    await migrate(store);
    await store.db.transaction().execute(async (tx) => {
      await tx
        .insertInto('users')
        .values([user, 'search_other'].map((id) => ({ id, email: `${id}@example.test`, name: id, password_hash: 'x', created_at: 0 })))
        .execute();
      await tx
        .insertInto('orgs')
        .values(['search_o1', 'search_o2'].map((id) => ({ id, name: id, created_at: 0 })))
        .execute();
      await tx
        .insertInto('org_members')
        .values({ org_id: 'search_o1', user_id: user, role: 'member', process_datasets: 0, created_at: 0 })
        .execute();
      // Each name three times: visible at the organization tier, hidden (admins only), and in an
      // organization of which the user is not a member, where a third of them are granted to the user.
      const rows = NAMES.flatMap((name, i) =>
        (['search_o1:organization', 'search_o1:admins', 'search_o2:external'] as const).map((place, k) => {
          const [org, visibility] = place.split(':') as [string, 'organization' | 'admins' | 'external'];
          return { id: `search_d${String(i).padStart(2, '0')}_${k}`, org_id: org, name, name_key: datasetNameKey(name), visibility };
        }),
      );
      await tx
        .insertInto('datasets')
        .values(rows.map((r) => ({ ...r, description: '', predecessor_id: null, item_count: 0, created_at: 0, updated_at: 0 })))
        .execute();
      const granted = rows.filter((r, i) => r.org_id === 'search_o2' && i % 2 === 0);
      await tx
        .insertInto('user_grants')
        .values(
          granted.map((r) => ({
            dataset_id: r.id,
            user_id: user,
            level: 1,
            expires_at: null,
            granted_by: null,
            created_at: 0,
            last_used_at: null,
          })),
        )
        .execute();
    });
  });
  afterAll(async () => {
    await store.close();
    await database.drop();
  });

  async function paged(search: string | undefined, limit: number, indexedMatches?: number) {
    const seen: { id: string; name: string }[] = [];
    let cursor: string | undefined;
    for (let pages = 0; pages < 200; pages += 1) {
      const page = await listInventory(store, { userId: user, minLevel: 'read', search, limit, cursor, now: NOW, indexedMatches });
      seen.push(...page.entries.map((e) => ({ id: e.dataset.id, name: e.dataset.name })));
      if (!page.nextCursor) return seen;
      cursor = page.nextCursor;
    }
    throw new Error('inventory did not end');
  }

  /** Every page of the search, through the index and without it, equals the unsearched inventory filtered by name. */
  async function expectSearchesMatchTheFilter() {
    const everything = await paged(undefined, 100);
    for (const term of TERMS) {
      const expected = everything.filter((d) => datasetNameKey(d.name).includes(datasetNameKey(term)));
      for (const [limit, cap] of [
        [2, undefined],
        [3, 0],
        [50, 2],
        [50, undefined],
      ] as const) {
        expect(await paged(term, limit, cap), `${term}, ${limit} a page, cap ${cap}`).toEqual(expected);
      }
    }
    return everything;
  }

  it('for terms of every length, with special characters, cases and letters beyond ASCII, paged', async () => {
    const everything = await expectSearchesMatchTheFilter();
    expect(everything.length).toBeGreaterThan(NAMES.length);
    const alp = (await paged('ALP', 50)).map((d) => d.name);
    expect(new Set(alp)).toEqual(new Set(['Alpha', 'ALPHA two', 'alphabet soup']));
  });

  it('after a rename, a deletion and a new dataset (the index follows the datasets)', async () => {
    await store.db.updateTable('datasets').set({ name: 'Zeta soup', name_key: 'zeta soup' }).where('id', '=', 'search_d01_0').execute();
    await store.db.deleteFrom('user_grants').where('dataset_id', '=', 'search_d07_2').execute();
    await store.db.deleteFrom('datasets').where('id', 'in', ['search_d07_0', 'search_d07_2']).execute();
    await store.db
      .insertInto('datasets')
      .values({
        id: 'search_new',
        org_id: 'search_o1',
        name: 'Ünïcode again',
        name_key: datasetNameKey('Ünïcode again'),
        visibility: 'organization',
        description: '',
        predecessor_id: null,
        item_count: 0,
        created_at: 0,
        updated_at: 0,
      })
      .execute();
    await expectSearchesMatchTheFilter();
    const ids = async (term: string) => (await paged(term, 50)).map((d) => d.id);
    expect(await ids('zeta')).toEqual(['search_d01_0']);
    expect(await ids('alphabet')).not.toContain('search_d01_0');
    expect(await ids('ünïcode')).toEqual(['search_new']);
  });
});
