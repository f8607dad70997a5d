import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { listInventory } from '../../src/access/inventory.js';
import { UNION_ARMS } from '../../src/access/inventory-branches.js';
import type { Store } from '../../src/store/database.js';
import { readerOf } from '../../src/store/reader.js';
import { openTestStore } from '../helpers/databases.js';
import { datasetRow, memberRows, membershipRow, userGrantRow } from '../helpers/rows.js';

const NOW = Date.parse('2026-03-01T12:00:00Z');
/** Organizations the member belongs to: a branch for each of their two tiers, more than one statement holds. */
const ORGS = Array.from({ length: Math.ceil(UNION_ARMS / 2) + 4 }, (_, i) => `merge_o${String(i).padStart(2, '0')}`);
/** A dataset the member sees at the organization's tier. */
const visible = (id: string, org: string, name: string) => datasetRow(id, org, name, 'organization');

/**
 * SQLite's page reads the access paths as UNIONs of up to UNION_ARMS branches, which the
 * database merges in keyset order. A user with more branches than one holds gets several
 * statements, merged by the read connection, all open at once in one read transaction. Should one
 * of them fail to start (another instance's migration dropped an index it names, say), those
 * already open must be closed: an open statement keeps the read transaction from ending, and the
 * read connection would go on answering from that snapshot.
 */
describe('the merge of access paths on SQLite', () => {
  let store: Store;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ store, close } = await openTestStore('sqlite'));
    // A plain member of every organization: a branch for each tier of each, and one for direct grants.
    await memberRows(store.db, ORGS[0]!, 'merge_u');
    for (const org of ORGS.slice(1)) {
      await store.db.insertInto('orgs').values({ id: org, name: org, created_at: 0 }).execute();
      await store.db.insertInto('org_members').values(membershipRow(org, 'merge_u')).execute();
    }
    await store.db
      .insertInto('datasets')
      .values(visible('merge_a', ORGS[0]!, 'alpha'))
      .execute();
  });
  afterAll(() => close());

  const names = async (cursor?: string, limit = 50) =>
    listInventory(store, { userId: 'merge_u', minLevel: 'read', limit, now: NOW, ...(cursor === undefined ? {} : { cursor }) });

  it('closes the statements it opened when a later one fails to start, and the next page sees later commits', async () => {
    expect((await names()).entries.map((e) => e.dataset.name)).toEqual(['alpha']);
    const reader = (await readerOf(store.db))!;
    const iterate = reader.iterateValues.bind(reader);
    const spy = vi.spyOn(reader, 'iterateValues').mockImplementation((text, values, slot) => {
      if (slot === 1) throw new Error('no such index');
      return iterate(text, values, slot);
    });
    try {
      await expect(names()).rejects.toThrow('no such index');
      expect(spy.mock.calls.length).toBeGreaterThanOrEqual(2);
    } finally {
      spy.mockRestore();
    }
    await store.db
      .insertInto('datasets')
      .values(visible('merge_b', ORGS[0]!, 'bravo'))
      .execute();
    expect((await names()).entries.map((e) => e.dataset.name)).toEqual(['alpha', 'bravo']);
  });

  it('lists a dataset reached by two paths of one statement once', async () => {
    // Another member of the first organization alone: its two tiers and its direct grants fit one statement.
    await store.db
      .insertInto('users')
      .values({ id: 'merge_v', email: 'merge_v@example.test', name: 'merge_v', password_hash: 'x', created_at: 0 })
      .execute();
    await store.db.insertInto('org_members').values(membershipRow(ORGS[0]!, 'merge_v')).execute();
    await store.db.insertInto('user_grants').values(userGrantRow('merge_a', 'merge_v')).execute();
    const page = await listInventory(store, { userId: 'merge_v', minLevel: 'read', limit: 50, now: NOW });
    expect(page.entries.map((e) => e.dataset.name)).toEqual(['alpha', 'bravo']);
  });

  it('pages through the statements in name order, each dataset once whatever the number of its paths', async () => {
    // Names interleaved across the organizations, so each page takes rows of both statements;
    // the last organization's datasets (in the second statement) are also granted directly.
    const expected: string[] = ['alpha', 'bravo'];
    for (const [o, org] of ORGS.entries()) {
      for (let k = 0; k < 3; k += 1) {
        const name = `n${String(k * ORGS.length + ((o * 7) % ORGS.length)).padStart(3, '0')}`;
        const id = `merge_${org}_${k}`;
        await store.db
          .insertInto('datasets')
          .values(visible(id, org, name))
          .execute();
        if (o === 0 || o === ORGS.length - 1) {
          await store.db.insertInto('user_grants').values(userGrantRow(id, 'merge_u')).execute();
        }
        expected.push(name);
      }
    }
    expected.sort();
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await names(cursor, 7);
      seen.push(...page.entries.map((e) => e.dataset.name));
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    expect(seen).toEqual(expected);
  });
});
