import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkAccess } from '../../src/access/check.js';
import { rankOf } from '../../src/access/levels.js';
import { actingAs } from '../../src/access/scope.js';
import type { Store } from '../../src/store/database.js';
import { insertDataset } from '../../src/store/datasets.js';
import {
  findUserGrant,
  holdsGrantInForce,
  isInForce,
  putTeamGrant,
  putUserGrant,
  teamGrantsOnDataset,
  userGrantsOnDataset,
} from '../../src/store/grants.js';
import { addMembership } from '../../src/store/memberships.js';
import { insertOrg } from '../../src/store/orgs.js';
import { addTeamMembership, insertTeamRow } from '../../src/store/teams.js';
import { insertUser } from '../../src/store/users.js';
import { DATABASES, openTestStore } from '../helpers/databases.js';

const NOW = 1_700_000_000_000;
/** A grant ending before now, at now, after now, and one without an end. */
const ENDS = { before: NOW - 1, at: NOW, after: NOW + 1, never: null } as const;

describe.each(DATABASES)('a grant in force, one definition for store, check and reads (%s)', (db) => {
  let store: Store;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ store, close } = await openTestStore(db));
    const tx = store.db;
    await insertOrg(tx, { id: 'org_a', name: 'A' }, 0);
    await insertDataset(tx, {
      id: 'ds_a',
      org_id: 'org_a',
      name: 'cams',
      name_key: 'cams',
      description: '',
      visibility: 'admins',
      predecessor_id: null,
      item_count: 0,
      created_at: 0,
      updated_at: 0,
    });
    for (const [name, expiresAt] of Object.entries(ENDS)) {
      await insertUser(tx, { id: `usr_${name}`, email: `${name}@example.test`, name, password_hash: 'x', created_at: 0 });
      await addMembership(tx, 'org_a', `usr_${name}`, 'member', 0);
      await putUserGrant(tx, {
        datasetId: 'ds_a',
        userId: `usr_${name}`,
        level: rankOf('write'),
        expiresAt,
        grantedBy: `usr_${name}`,
        at: 0,
      });
      await insertTeamRow(tx, { id: `team_${name}`, orgId: 'org_a', name }, 0);
      await insertUser(tx, { id: `usr_t_${name}`, email: `t-${name}@example.test`, name: `t-${name}`, password_hash: 'x', created_at: 0 });
      await addMembership(tx, 'org_a', `usr_t_${name}`, 'member', 0);
      await addTeamMembership(tx, `team_${name}`, `usr_t_${name}`, 0);
      await putTeamGrant(tx, {
        datasetId: 'ds_a',
        teamId: `team_${name}`,
        level: rankOf('write'),
        expiresAt,
        grantedBy: `usr_${name}`,
        at: 0,
      });
    }
  });
  afterAll(() => close());

  it('counts a grant until its instant and not at it, in SQL and in memory alike', async () => {
    const direct = (await userGrantsOnDataset(store.db, 'ds_a', NOW)).map((g) => g.name).sort();
    const teams = (await teamGrantsOnDataset(store.db, 'ds_a', NOW)).map((g) => g.name).sort();
    expect(direct).toEqual(['after', 'never']);
    expect(teams).toEqual(['after', 'never']);
    for (const [name, expiresAt] of Object.entries(ENDS)) {
      const expected = name === 'after' || name === 'never';
      expect(isInForce(expiresAt, NOW)).toBe(expected);
      expect(await holdsGrantInForce(store.db, 'ds_a', `usr_${name}`, NOW)).toBe(expected);
      expect((await findUserGrant(store.db, 'ds_a', `usr_${name}`))?.expires_at ?? null).toBe(expiresAt);
      // The check's reviewed SQL agrees with the store's definition.
      expect((await checkAccess(store.db, actingAs(`usr_${name}`), 'ds_a', NOW))?.level ?? null).toBe(expected ? 'write' : null);
      expect((await checkAccess(store.db, actingAs(`usr_t_${name}`), 'ds_a', NOW))?.level ?? null).toBe(expected ? 'write' : null);
    }
  });
});
