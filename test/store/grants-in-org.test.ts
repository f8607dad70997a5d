import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rankOf } from '../../src/access/levels.js';
import type { Store } from '../../src/store/database.js';
import { insertDataset } from '../../src/store/datasets.js';
import { findUserGrant, holdsGrantInOrg, putUserGrant, revokeUserGrantsInOrg } from '../../src/store/grants.js';
import { insertOrg } from '../../src/store/orgs.js';
import { insertUser } from '../../src/store/users.js';
import { DATABASES, openTestStore } from '../helpers/databases.js';

const NOW = 1_700_000_000_000;
/** More grants in the organization than one delete statement names. */
const HELD = 1_201;

function dataset(id: string, orgId: string) {
  return {
    id,
    org_id: orgId,
    name: id,
    name_key: id,
    description: '',
    visibility: 'external' as const,
    predecessor_id: null,
    item_count: 0,
    created_at: 0,
    updated_at: 0,
  };
}

describe.each(DATABASES)("a user's grants in one organization (%s)", (db) => {
  let store: Store;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ store, close } = await openTestStore(db));
    await store.db.transaction().execute(async (tx) => {
      await insertOrg(tx, { id: 'org_big', name: 'Big' }, 0);
      await insertOrg(tx, { id: 'org_other', name: 'Other' }, 0);
      for (const id of ['usr_leaver', 'usr_stayer']) {
        await insertUser(tx, { id, email: `${id}@example.test`, name: id, password_hash: 'x', created_at: 0 });
      }
      for (let i = 0; i < HELD; i += 1) {
        const id = `ds_big_${String(i).padStart(5, '0')}`;
        await insertDataset(tx, dataset(id, 'org_big'));
        // Every tenth has expired: revoked all the same, but not reported as in force.
        const expiresAt = i % 10 === 0 ? NOW - 1 : null;
        await putUserGrant(tx, { datasetId: id, userId: 'usr_leaver', level: rankOf('read'), expiresAt, grantedBy: 'usr_stayer', at: 0 });
        await putUserGrant(tx, {
          datasetId: id,
          userId: 'usr_stayer',
          level: rankOf('read'),
          expiresAt: null,
          grantedBy: 'usr_stayer',
          at: 0,
        });
      }
      await insertDataset(tx, dataset('ds_other', 'org_other'));
      await putUserGrant(tx, {
        datasetId: 'ds_other',
        userId: 'usr_leaver',
        level: rankOf('write'),
        expiresAt: null,
        grantedBy: 'usr_stayer',
        at: 0,
      });
    });
  });
  afterAll(() => close());

  it('revokes every grant of the user in the organization, expired ones too, and no other', async () => {
    expect(await holdsGrantInOrg(store.db, 'org_big', 'usr_leaver')).toBe(true);
    const revoked = await store.db.transaction().execute((tx) => revokeUserGrantsInOrg(tx, 'org_big', 'usr_leaver', NOW));
    expect(revoked).toHaveLength(HELD - Math.ceil(HELD / 10));
    expect(await holdsGrantInOrg(store.db, 'org_big', 'usr_leaver')).toBe(false);
    expect(await findUserGrant(store.db, 'ds_big_00000', 'usr_leaver')).toBeUndefined();
    expect(await findUserGrant(store.db, `ds_big_${String(HELD - 1).padStart(5, '0')}`, 'usr_leaver')).toBeUndefined();
    // Another organization's grant, and another user's grants in this one, stay.
    expect(await holdsGrantInOrg(store.db, 'org_other', 'usr_leaver')).toBe(true);
    expect(await findUserGrant(store.db, 'ds_big_00000', 'usr_stayer')).toBeDefined();
  });
});
