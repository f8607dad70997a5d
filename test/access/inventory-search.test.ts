import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { datasetNameKey, listInventory } from '../../src/access/inventory.js';
import {
  coverOf,
  ftsAll,
  ftsPhrase,
  isCommonTerm,
  postgresCoverOf,
  SUPERSET_PER_CAP,
  trigramsOf,
  widerCoverOf,
} from '../../src/access/inventory-search.js';
import { openStore, type Store } from '../../src/store/database.js';
import { readerOf } from '../../src/store/reader.js';
import { trigramListPages } from '../../src/store/trigram-lists.js';
import {
  nameSearchSupport,
  TRIGRAM_FREQUENCIES_AGE_MS,
  type TrigramFrequencies,
  trigramFrequencies,
} from '../../src/store/trigram-statistics.js';
import { DATABASES, openTestStore, type TestDatabase } from '../helpers/databases.js';
import { datasetRow, memberRows, membershipRow, userGrantRow } from '../helpers/rows.js';

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
  // Every trigram of "sonar 12" but never the phrase: the lists a search reads in place of the
  // phrase (coverOf) find these too, and the LIKE must leave them out.
  'son ar 12',
  'lunar 12 sonic',
  // A character beyond the BMP: two UTF-16 units, one character to FTS5.
  'party 😀 party',
  // The backslash, LIKE's escape character.
  'a\\b',
  'back\\slash 50%',
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
  '\\',
  'a\\b',
  'k\\sla',
  '\\s',
  'h 50%',
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
  'sonar 12',
  'SONAR 1234',
  'nar 12',
  '😀 part',
  'y 😀 ',
];

describe.each(DATABASES)('the inventory name search equals a plain filter of what the user may see (%s)', (db) => {
  let store: Store;
  let close: () => Promise<void>;
  const user = 'search_u';
  beforeAll(async () => {
    ({ store, close } = await openTestStore(db));
    await store.db.transaction().execute(async (tx) => {
      await tx
        .insertInto('users')
        .values([user, 'search_other'].map((id) => ({ id, email: `${id}@example.test`, name: id, password_hash: 'x', created_at: 0 })))
        .execute();
      await tx
        .insertInto('orgs')
        .values(['search_o1', 'search_o2'].map((id) => ({ id, name: id, created_at: 0 })))
        .execute();
      await tx.insertInto('org_members').values(membershipRow('search_o1', user)).execute();
      // Each name three times: visible at the organization tier, hidden (admins only), and in an
      // organization of which the user is not a member, where a third of them are granted to the user.
      const rows = NAMES.flatMap((name, i) =>
        (['search_o1:organization', 'search_o1:admins', 'search_o2:external'] as const).map((place, k) => {
          const [org, visibility] = place.split(':') as [string, 'organization' | 'admins' | 'external'];
          return datasetRow(`search_d${String(i).padStart(2, '0')}_${k}`, org, name, visibility);
        }),
      );
      await tx.insertInto('datasets').values(rows).execute();
      const granted = rows.filter((r, i) => r.org_id === 'search_o2' && i % 2 === 0);
      await tx
        .insertInto('user_grants')
        .values(granted.map((r) => userGrantRow(r.id, user)))
        .execute();
    });
    // PostgreSQL's trigram frequencies (migration 019): the search then reads the rarest trigrams' lists.
    if (db === 'postgres') await sql`analyze datasets`.execute(store.db);
  });
  afterAll(() => close());

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
    // On PostgreSQL, the terms with trigrams of letters and digits are read through the rarest of them.
    if (db === 'postgres') expect(postgresCoverOf('sonar 1234', await trigramFrequencies(store.db), 250)).not.toEqual([]);
    const everything = await expectSearchesMatchTheFilter();
    expect(everything.length).toBeGreaterThan(NAMES.length);
    const alp = (await paged('ALP', 50)).map((d) => d.name);
    expect(new Set(alp)).toEqual(new Set(['Alpha', 'ALPHA two', 'alphabet soup']));
  });

  it('in as many statements as a plain page: on PostgreSQL one, the matches read inside it', async () => {
    // Whether the database has the index is asked once per store, before.
    await paged('sonar', 50);
    // Every statement sent to PostgreSQL, however it was built; SQLite reads on its read connection, none through the pool.
    const executed = db === 'postgres' ? vi.spyOn(pg.Client.prototype, 'query') : vi.spyOn(store.db, 'executeQuery');
    try {
      await listInventory(store, { userId: user, minLevel: 'read', limit: 50, now: NOW });
      const plain = executed.mock.calls.length;
      // Through the index (a rare term), the keyset scan (more matches than the cap), and both with a cursor.
      const rare = await listInventory(store, { userId: user, minLevel: 'read', limit: 1, now: NOW, search: 'sonar 12' });
      const common = await listInventory(store, { userId: user, minLevel: 'read', limit: 1, now: NOW, search: 'alp', indexedMatches: 1 });
      for (const [search, first, indexedMatches] of [
        ['sonar 12', rare, undefined],
        ['alp', common, 1],
      ] as const) {
        const cursor = first.nextCursor ?? undefined;
        expect(cursor).toBeDefined();
        await listInventory(store, { userId: user, minLevel: 'read', limit: 1, now: NOW, search, cursor, indexedMatches });
      }
      expect(executed.mock.calls.length).toBe(plain * 5);
      expect(plain).toBe(db === 'postgres' ? 1 : 0);
    } finally {
      executed.mockRestore();
    }
  });

  it('after a rename, a deletion and a new dataset (the index follows the datasets)', async () => {
    await store.db.updateTable('datasets').set({ name: 'Zeta soup', name_key: 'zeta soup' }).where('id', '=', 'search_d01_0').execute();
    await store.db.deleteFrom('user_grants').where('dataset_id', '=', 'search_d07_2').execute();
    await store.db.deleteFrom('datasets').where('id', 'in', ['search_d07_0', 'search_d07_2']).execute();
    await store.db
      .insertInto('datasets')
      .values(datasetRow('search_new', 'search_o1', 'Ünïcode again', 'organization'))
      .execute();
    await expectSearchesMatchTheFilter();
    const ids = async (term: string) => (await paged(term, 50)).map((d) => d.id);
    expect(await ids('zeta')).toEqual(['search_d01_0']);
    expect(await ids('alphabet')).not.toContain('search_d01_0');
    expect(await ids('ünïcode')).toEqual(['search_new']);
  });
});

describe('the lists a search reads in place of the phrase (coverOf)', () => {
  const cover = (term: string, pages: number[]) => coverOf(trigramsOf(term), pages);

  it('cuts a term into the trigrams FTS5 indexes, by character', () => {
    expect(trigramsOf('sonar 1')).toEqual(['son', 'ona', 'nar', 'ar ', 'r 1'].map((text, at) => ({ text, at })));
    expect(trigramsOf('é😀ab').map((t) => t.text)).toEqual(['é😀a', '😀ab']);
    expect(trigramsOf('ab')).toEqual([]);
  });

  it('takes the shortest list, then the shortest that does not overlap it', () => {
    // son ona nar "ar " "r 1" " 12" 123
    expect(cover('sonar 123', [47, 47, 46, 141, 21, 9, 2])).toEqual(['123', 'nar']);
    expect(cover('sonar 123', [1, 47, 46, 141, 21, 9, 2])).toEqual(['son', '123']);
    // Equal estimates: by place.
    expect(cover('sonar 123', [0, 0, 0, 0, 0, 0, 0])).toEqual(['son', 'ar ']);
  });

  it('reads the phrase when a cover would read as much or could only find more than the cap', () => {
    // Three characters: the phrase is one list.
    expect(cover('son', [0])).toEqual([]);
    // Only overlapping trigrams, and the shortest fills a page: more names than the cap.
    expect(cover('sonar', [47, 47, 46])).toEqual([]);
    expect(cover('r 12', [21, 3])).toEqual([]);
    // The same, short enough to be worth a look.
    expect(cover('sonar', [47, 2, 46])).toEqual(['ona']);
    // The cover would be all the phrase's own lists.
    expect(cover('aaaaaa', [0, 0, 0, 0])).toEqual([]);
    expect(cover('ababab', [0, 0, 0, 0])).toEqual([]);
    // A trigram repeated is one list: the second is another trigram, or none.
    expect(cover('abcabc', [0, 0, 0, 0])).toEqual(['abc']);
    expect(cover('abcabcx', [0, 0, 0, 0, 0])).toEqual(['abc', 'bcx']);
  });

  it('adds the shortest list apart from both when the two find more than the cap', () => {
    // "al " "l s" " so" son ona nar "ar " "r 1" " 12": the estimates at a million names.
    const pages = [186, 35, 46, 47, 47, 46, 141, 21, 9];
    const trigrams = trigramsOf('al sonar 12');
    expect(coverOf(trigrams, pages)).toEqual([' 12', 'l s']);
    // Apart from "l s" (1–3) and " 12" (8–10): "ona" or "nar"; "nar" is the shorter.
    expect(widerCoverOf(trigrams, pages, [' 12', 'l s'])).toEqual([' 12', 'l s', 'nar']);
    // None apart from both: "123" (6–8) and "nar" (2–4) leave no room in "sonar 123".
    expect(widerCoverOf(trigramsOf('sonar 123'), [47, 47, 46, 141, 21, 9, 2], ['123', 'nar'])).toEqual([]);
    // One list is not a cover to widen.
    expect(widerCoverOf(trigramsOf('sonar'), [47, 2, 46], ['ona'])).toEqual([]);
    expect(widerCoverOf(trigramsOf('abcdefghi'), [0, 0, 0, 0, 0, 0, 0], ['abc', 'def'])).toEqual(['abc', 'def', 'ghi']);
    // Apart from every place a trigram of the cover holds: none here.
    expect(widerCoverOf(trigramsOf('abcxabcyabc'), [0, 0, 0, 0, 0, 0, 0, 0, 0], ['abc', 'bcx'])).toEqual([]);
    // Three that are all the phrase's own lists: the phrase reads as much.
    const repeated = trigramsOf('xcccccccx');
    const rareEnds = [0, 5, 5, 5, 5, 5, 0];
    expect(coverOf(repeated, rareEnds)).toEqual(['xcc', 'ccx']);
    expect(widerCoverOf(repeated, rareEnds, ['xcc', 'ccx'])).toEqual([]);
  });
});

describe("the length of a trigram list, from FTS5's b-tree of leaves (SQLite)", () => {
  let store: Store;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ store, close } = await openTestStore('sqlite'));
    await memberRows(store.db, 'lists_o', 'lists_u');
    // "qqq" in 8 000 names, "zzz" in 8, in one transaction and then a hundred more names one by one (more segments).
    const dataset = (i: number, name: string) => datasetRow(`lists_d${i}`, 'lists_o', name, 'organization');
    await store.db.transaction().execute(async (tx) => {
      for (let from = 0; from < 8000; from += 500) {
        const names = Array.from({ length: 500 }, (_, k) => from + k);
        await tx
          .insertInto('datasets')
          .values(names.map((i) => dataset(i, `qqq ${i}${i % 1000 === 0 ? ' zzz' : ''}`)))
          .execute();
      }
    });
    for (let i = 8000; i < 8100; i += 1)
      await store.db
        .insertInto('datasets')
        .values(dataset(i, `www ${i}`))
        .execute();
  });
  afterAll(() => close());

  it('spans pages for a trigram in thousands of names, none for one in a few', async () => {
    const reader = (await readerOf(store.db))!;
    const spans = () => trigramListPages(reader, ['qqq', 'zzz', 'www', 'xyx']);
    // Many segments: each adds a page or so to every list, however short.
    const [common, rare] = spans();
    expect(common).toBeGreaterThanOrEqual(3);
    expect(rare).toBeLessThan(common!);
    // One segment, as FTS5's merging keeps a table that changes: a page each for the short lists.
    await sql`insert into dataset_names (dataset_names) values ('optimize')`.execute(store.db);
    const [merged, alone, hundred, absent] = spans();
    expect(merged).toBeGreaterThanOrEqual(3);
    expect([alone, hundred]).toEqual([1, 1]);
    // Between two terms: the distance to the next one keyed, an upper bound.
    expect(absent).toBeGreaterThanOrEqual(1);
    // The search then reads two short lists, not the phrase's ten, and finds the one name.
    const term = 'qqq 2000 zzz';
    const cover = coverOf(
      trigramsOf(term),
      trigramListPages(
        reader,
        trigramsOf(term).map((t) => t.text),
      ),
    );
    expect(cover).toHaveLength(2);
    expect(cover).not.toContain('qqq');
    expect(cover).not.toContain('qq ');
    const found = await listInventory(store, { userId: 'lists_u', minLevel: 'read', search: term, limit: 50, now: NOW });
    expect(found.entries.map((e) => e.dataset.id)).toEqual(['lists_d2000']);
  });

  it('reads three lists, not the phrase, when two find more names than the cap and three few enough', async () => {
    // Five names hold "abc" and " de" but not "f g"; one holds the term.
    const names = ['abc def ghi', ...Array.from({ length: 5 }, (_, i) => `abc dex ${i}`)];
    await store.db
      .insertInto('datasets')
      .values(names.map((name, i) => datasetRow(`lists_w${i}`, 'lists_o', name, 'organization')))
      .execute();
    await sql`insert into dataset_names (dataset_names) values ('optimize')`.execute(store.db);
    const reader = (await readerOf(store.db))!;
    const term = 'abc def ghi';
    const trigrams = trigramsOf(term);
    const pages = trigramListPages(
      reader,
      trigrams.map((t) => t.text),
    );
    // Short lists, a page each: taken by place.
    const cover = coverOf(trigrams, pages);
    const wider = widerCoverOf(trigrams, pages, cover);
    expect([cover, wider]).toEqual([
      ['abc', ' de'],
      ['abc', ' de', 'f g'],
    ]);
    const read = vi.spyOn(reader, 'column');
    try {
      const found = await listInventory(store, {
        userId: 'lists_u',
        minLevel: 'read',
        search: term,
        limit: 50,
        now: NOW,
        indexedMatches: 3,
      });
      expect(found.entries.map((e) => e.dataset.name)).toEqual(['abc def ghi']);
      const queries = read.mock.calls.flatMap(([text, values]) => (text.includes('dataset_names match') ? [(values as unknown[])[0]] : []));
      expect(queries).toEqual([ftsAll(cover), ftsAll(wider)]);
      expect(queries).not.toContain(ftsPhrase(term));
    } finally {
      read.mockRestore();
    }
  });
});

describe('the rarest trigrams PostgreSQL reads in place of the pattern (postgresCoverOf)', () => {
  // A million names; "son", "ona" and "nar" in one in sixteen, the rest rarer than "  1".
  const frequencies: TrigramFrequencies = {
    names: 1_000_000,
    frequencies: new Map([
      ['son', 0.063],
      ['ona', 0.064],
      ['nar', 0.063],
      ['123', 0.002],
      ['234', 0.0019],
      ['aer', 0.05],
      ['eri', 0.05],
      ['ria', 0.05],
      ['ial', 0.05],
    ]),
    rarest: 0.0018,
    sample: { common: new Map(), bounds: [], boundsShare: 1 },
  };

  it('takes the rarest trigram of letters and digits, then the rarest apart from it, until few names hold them all', () => {
    // " 12" and "ar " hold a space: pg_trgm cuts words at it, and would not look them up as written.
    expect(postgresCoverOf('sonar 123', frequencies, 250)).toEqual(['%123%', '%son%']);
    // Unlisted: rarer than every listed trigram.
    expect(postgresCoverOf('sonar 1234 qqq', frequencies, 250)).toEqual(['%qqq%']);
    // Three when two still hold too many: 1 000 000 × 0.05 × 0.05 > 4 × 250.
    expect(postgresCoverOf('aerial sonar', frequencies, 250)).toEqual(['%aer%', '%ial%', '%son%']);
  });

  it('keeps the whole pattern for a common term, without figures, or without a trigram of letters and digits', () => {
    // Only overlapping trigrams, each in 63 000 names.
    expect(postgresCoverOf('sonar', frequencies, 250)).toEqual([]);
    expect(postgresCoverOf('sonar 1', frequencies, 250)).toEqual([]);
    expect(postgresCoverOf('sonar 123', undefined, 250)).toEqual([]);
    expect(postgresCoverOf('r 12', frequencies, 250)).toEqual([]);
    expect(postgresCoverOf('é12', frequencies, 250)).toEqual([]);
    // No cap, no names through the index: its matches would only ever be more than it.
    expect(postgresCoverOf('sonar 123', frequencies, 0)).toEqual([]);
    // The bound: an estimate of just more than it keeps the pattern.
    const bound = SUPERSET_PER_CAP * 250;
    const edge: TrigramFrequencies = {
      names: 1_000_000,
      frequencies: new Map([['abc', bound / 1_000_000]]),
      rarest: 0.5,
      sample: { common: new Map(), bounds: [], boundsShare: 1 },
    };
    expect(postgresCoverOf('abc', edge, 250)).toEqual(['%abc%']);
    expect(postgresCoverOf('abc', { ...edge, names: 1_000_001 }, 250)).toEqual([]);
  });
});

describe("a common term, by ANALYZE's sample of the names (isCommonTerm)", () => {
  // A million names; the histogram's 101 bounds cut the 990 000 that are not among the common names.
  const bounds = Array.from({ length: 101 }, (_, i) => (i % 20 === 0 ? `aerial sonar ${i}` : `coastal lidar ${i}`));
  const frequencies: TrigramFrequencies = {
    names: 1_000_000,
    frequencies: new Map(),
    rarest: 0.001,
    sample: { common: new Map([['untitled', 0.01]]), bounds, boundsShare: 0.99 },
  };

  it('is a term in enough of the bounds that its names are more than ten times the cap', () => {
    // 6 of 101 bounds: 58 812 names.
    expect(isCommonTerm('sonar', frequencies, 250)).toBe(true);
    expect(isCommonTerm('lidar', frequencies, 250)).toBe(true);
    // In one bound, or none: not estimated from them.
    expect(isCommonTerm('sonar 100', frequencies, 250)).toBe(false);
    expect(isCommonTerm('xq7', frequencies, 250)).toBe(false);
    // Ten times the cap: 58 812 names are not more than 10 × 10 000.
    expect(isCommonTerm('sonar', frequencies, 5_000)).toBe(true);
    expect(isCommonTerm('sonar', frequencies, 10_000)).toBe(false);
    // Without the figures, nothing is common.
    expect(isCommonTerm('sonar', undefined, 250)).toBe(false);
  });

  it('counts the common names that hold the term, and only those', () => {
    // 10 000 names are "untitled": more than ten times a cap of 250, not of 1 000.
    expect(isCommonTerm('titl', frequencies, 250)).toBe(true);
    expect(isCommonTerm('titl', frequencies, 1_000)).toBe(false);
    expect(isCommonTerm('untitled 2', frequencies, 250)).toBe(false);
    // Few names in all: the same shares are few names.
    expect(isCommonTerm('sonar', { ...frequencies, names: 2_000 }, 250)).toBe(false);
  });
});

describe("ANALYZE's trigram frequencies and the search through them (PostgreSQL)", () => {
  let store: Store;
  let database: TestDatabase;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ store, database, close } = await openTestStore('postgres'));
    await memberRows(store.db, 'freq_o', 'freq_u');
    // "qqq" in every name, "zzz" in 4 of 2 000: once before "qqq", three times after it.
    const names = Array.from({ length: 2000 }, (_, i) => (i === 0 ? 'zzz qqq 0' : i % 500 === 0 ? `qqq zzz ${i}` : `qqq ${i}`));
    await store.db
      .insertInto('datasets')
      .values(names.map((name, i) => datasetRow(`freq_d${i}`, 'freq_o', name, 'organization')))
      .execute();
    await sql`analyze datasets`.execute(store.db);
  });
  afterAll(() => close());

  it('reads the frequencies once analyzed, and the search reads the rare list with the term as its filter', async () => {
    const figures = await trigramFrequencies(store.db);
    expect(figures?.names).toBe(2000);
    expect(figures?.frequencies.get('qqq')).toBe(1);
    expect(figures?.frequencies.get('zzz') ?? figures?.rarest).toBeLessThan(0.01);
    expect(postgresCoverOf('qqq zzz', figures, 250)).toEqual(['%zzz%']);
    const statements = vi.spyOn(pg.Client.prototype, 'query');
    try {
      const found = await listInventory(store, { userId: 'freq_u', minLevel: 'read', search: 'QQQ ZZZ', limit: 50, now: NOW });
      // "zzz qqq 0" holds both trigrams but not the term.
      expect(found.entries.map((e) => e.dataset.name)).toEqual(['qqq zzz 1000', 'qqq zzz 1500', 'qqq zzz 500']);
      const lists = statements.mock.calls.flatMap(([query]) => {
        const values = (query as unknown as { values?: unknown[] }).values ?? [];
        return values.filter((v) => Array.isArray(v));
      });
      expect(lists).toEqual([['%zzz%']]);
    } finally {
      statements.mockRestore();
    }
  });

  it('reads the frequencies again in the background once they are old, serving the old ones until then', async () => {
    // A store of its own, whose clock starts here.
    const other = await openStore(database.config);
    try {
      const first = await trigramFrequencies(other.db, 0);
      expect(first?.names).toBe(2000);
      // The names change and are analyzed again: "yyy" in half of them.
      await store.db
        .insertInto('datasets')
        .values(Array.from({ length: 2000 }, (_, i) => datasetRow(`freq_y${i}`, 'freq_o', `yyy ${i}`, 'organization')))
        .execute();
      await sql`analyze datasets`.execute(store.db);
      expect(await trigramFrequencies(other.db, TRIGRAM_FREQUENCIES_AGE_MS - 1)).toBe(first);
      // Old: the old figures still serve this page, and the new ones a later one.
      expect(await trigramFrequencies(other.db, TRIGRAM_FREQUENCIES_AGE_MS)).toBe(first);
      await vi.waitFor(async () => expect((await trigramFrequencies(other.db, TRIGRAM_FREQUENCIES_AGE_MS + 1))?.names).toBe(4000));
      const fresh = await trigramFrequencies(other.db, TRIGRAM_FREQUENCIES_AGE_MS + 1);
      expect(fresh?.frequencies.get('yyy')).toBeCloseTo(0.5, 1);
    } finally {
      await other.close();
    }
  });

  it('finds exactly the names holding the term through the lists, up to the cap', async () => {
    const within = async (lists: string[], term: string, cap: number) =>
      (
        await sql<{ ids: string[] }>`select dataset_name_matches_within(${lists}::text[], ${term}, ${`%${term}%`}, ${cap}) as ids`.execute(
          store.db,
        )
      ).rows[0]!.ids.sort();
    expect(await within(['%zzz%'], 'qqq zzz 1000', 10)).toEqual(['freq_d1000']);
    expect(await within(['%zzz%', '%qqq%'], 'zzz qqq', 10)).toEqual(['freq_d0']);
    expect(await within(['%qqq%'], 'qqq 1', 10)).toHaveLength(10);
    // The lists decide which names are read: "zzz" is not in the term, and only its names come back.
    expect(await within(['%zzz%'], 'qqq', 10)).toEqual(['freq_d0', 'freq_d1000', 'freq_d1500', 'freq_d500']);
    // No lists: the whole pattern, as before.
    expect(await within([], 'qqq 150', 100)).toEqual(['freq_d150', ...Array.from({ length: 9 }, (_, i) => `freq_d${1501 + i}`)].sort());
  });

  it('takes a term in most names to the keyset scan without reading the index', async () => {
    // "qqq" is in every name, and "qqq 1" in 1 111 of them (in the histogram's bounds too): more
    // than ten times a cap of 10.
    const figures = await trigramFrequencies(store.db);
    expect(figures?.sample.bounds.length).toBeGreaterThan(50);
    expect(isCommonTerm('qqq 1', figures, 10)).toBe(true);
    expect(isCommonTerm('qqq zzz', figures, 10)).toBe(false);
    const statements = vi.spyOn(pg.Client.prototype, 'query');
    try {
      const page = async (search: string, indexedMatches: number) => {
        statements.mockClear();
        const found = await listInventory(store, { userId: 'freq_u', minLevel: 'read', search, limit: 3, now: NOW, indexedMatches });
        const texts = statements.mock.calls.map(([query]) => String((query as unknown as { text?: string }).text ?? query));
        return {
          names: found.entries.map((e) => e.dataset.name),
          readsIndex: texts.some((t) => t.includes('dataset_name_matches_within')),
        };
      };
      // The same page either way: the scan finds what the index would.
      expect(await page('QQQ 1', 10)).toEqual({ names: ['qqq 1', 'qqq 10', 'qqq 100'], readsIndex: false });
      expect(await page('QQQ 1', 250)).toEqual({ names: ['qqq 1', 'qqq 10', 'qqq 100'], readsIndex: true });
      expect(await page('QQQ ZZZ', 10)).toEqual({ names: ['qqq zzz 1000', 'qqq zzz 1500', 'qqq zzz 500'], readsIndex: true });
    } finally {
      statements.mockRestore();
    }
  });

  it('without the statistics, searches through the whole pattern and reads no frequencies', async () => {
    expect(await nameSearchSupport(store.db)).toEqual({ index: true, statistics: true });
    await sql`drop statistics datasets_name_trigrams`.execute(store.db);
    // A store of its own asks again.
    const other = await openStore(database.config);
    const statements = vi.spyOn(pg.Client.prototype, 'query');
    try {
      expect(await nameSearchSupport(other.db)).toEqual({ index: true, statistics: false });
      const found = await listInventory(other, { userId: 'freq_u', minLevel: 'read', search: 'QQQ ZZZ', limit: 50, now: NOW });
      expect(found.entries.map((e) => e.dataset.name)).toEqual(['qqq zzz 1000', 'qqq zzz 1500', 'qqq zzz 500']);
      const texts = statements.mock.calls.map(([query]) => String((query as unknown as { text?: string }).text ?? query));
      expect(texts.some((text) => text.includes('pg_stats_ext_exprs'))).toBe(false);
      const lists = statements.mock.calls.flatMap(([query]) =>
        ((query as unknown as { values?: unknown[] }).values ?? []).filter(Array.isArray),
      );
      expect(lists).toEqual([[]]);
    } finally {
      statements.mockRestore();
      await other.close();
    }
  });
});
