import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { listInventory } from '../../src/access/inventory.js';
import type { Store } from '../../src/store/database.js';
import { readerOf } from '../../src/store/reader.js';
import { openTestStore } from '../helpers/databases.js';
import { datasetRow, memberRows } from '../helpers/rows.js';

const NOW = Date.parse('2026-03-01T12:00:00Z');
/** A dataset the member sees at the organization's tier. */
const visible = (id: string, name: string) => datasetRow(id, 'merge_o', name, 'organization');

/**
 * SQLite's page merges one statement per access path, all open at once in one read transaction.
 * Should one of them fail to start (another instance's migration dropped an index it names,
 * say), those already open must be closed: an open statement keeps the read transaction from
 * ending, and the read connection would go on answering from that snapshot.
 */
describe('the merge of access paths on SQLite', () => {
  let store: Store;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ store, close } = await openTestStore('sqlite'));
    // A plain member: a branch for each tier of the organization, and one for direct grants.
    await memberRows(store.db, 'merge_o', 'merge_u');
    await store.db.insertInto('datasets').values(visible('merge_a', 'alpha')).execute();
  });
  afterAll(() => close());

  const names = async () =>
    (await listInventory(store, { userId: 'merge_u', minLevel: 'read', limit: 50, now: NOW })).entries.map((e) => e.dataset.name);

  it('closes the statements it opened when a later one fails to start, and the next page sees later commits', async () => {
    expect(await names()).toEqual(['alpha']);
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
    await store.db.insertInto('datasets').values(visible('merge_b', 'bravo')).execute();
    expect(await names()).toEqual(['alpha', 'bravo']);
  });
});
