import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkAccess } from '../../src/access/check.js';
import { explainAccess } from '../../src/access/explain.js';
import { listInventory } from '../../src/access/inventory.js';
import { POSTGRES_SLOTS } from '../../src/access/inventory-branches.js';
import { rankOf } from '../../src/access/levels.js';
import { previewSharingChange } from '../../src/access/preview.js';
import { actingAs } from '../../src/access/scope.js';
import type { Store } from '../../src/store/database.js';
import { DATABASES, openTestStore } from '../helpers/databases.js';
import { LEVELS, type Level, type RefWorld, referenceInventory, referenceLevel, type Tier } from './reference.js';

const NOW = Date.parse('2026-03-01T12:00:00Z');
const HOUR = 3_600_000;

const level = fc.constantFrom<Level>(...LEVELS);
const tier = fc.constantFrom<Tier>('external', 'organization', 'admins');
// Expired an hour ago, live for another hour, expiring exactly now (no longer counts), or never.
const expiry = fc.constantFrom<number | null>(null, null, NOW - HOUR, NOW + HOUR, NOW);
// Few distinct names with mixed case, so keyset ties on name and case-insensitive search are exercised,
// and names with LIKE's special characters and letters beyond ASCII for the trigram index.
const name = fc.constantFrom('alpha', 'Alpha', 'beta', 'beta', 'Gamma ray', 'gamma', 'delta b', 'Beta max', '50%_off', 'Ünïcode set');

/** A random world: 2 orgs, 6 users, teams inside orgs, datasets, direct and team grants. */
const worldArbitrary = fc.record({
  roles: fc.array(fc.array(fc.constantFrom(null, 'member', 'admin'), { minLength: 6, maxLength: 6 }), { minLength: 2, maxLength: 2 }),
  teams: fc.array(fc.record({ org: fc.nat(1), members: fc.array(fc.nat(5), { maxLength: 4 }) }), { maxLength: 4 }),
  datasets: fc.array(fc.record({ org: fc.nat(1), name, tier }), { minLength: 1, maxLength: 12 }),
  userGrants: fc.array(fc.record({ dataset: fc.nat(11), user: fc.nat(5), level, expiresAt: expiry }), { maxLength: 14 }),
  teamGrants: fc.array(fc.record({ dataset: fc.nat(11), team: fc.nat(3), level, expiresAt: expiry }), { maxLength: 8 }),
});

/**
 * A world of users with more organizations and teams than the PostgreSQL inventory statement
 * has branches of their own for (POSTGRES_SLOTS): 8 orgs, 3 users who are mostly members, up to
 * 32 teams of two or three of them. The rest of each kind is read by the statement's LATERAL
 * branches. Each team grant goes to a dataset of the team's own org at the `admins` tier (the
 * `nth` of them), which no tier shows: datasets reached only through a user's ninth team and
 * beyond, or only through their fifth organization's tiers, are common. Without bias: fast-check
 * otherwise favours the first org and small arrays, and few users would pass the places.
 */
const crowdedWorldArbitrary = fc
  .noBias(
    fc.record({
      roles: fc.array(fc.array(fc.constantFrom('member', 'admin', 'member', null), { minLength: 3, maxLength: 3 }), {
        minLength: 8,
        maxLength: 8,
      }),
      teams: fc.array(fc.record({ org: fc.nat(7), members: fc.array(fc.nat(2), { minLength: 2, maxLength: 3 }) }), {
        minLength: 16,
        maxLength: 32,
      }),
      datasets: fc.array(fc.record({ org: fc.nat(7), name, tier }), { minLength: 8, maxLength: 30 }),
      userGrants: fc.array(fc.record({ dataset: fc.nat(29), user: fc.nat(2), level, expiresAt: expiry }), { maxLength: 12 }),
      teamGrants: fc.array(fc.record({ nth: fc.nat(9), team: fc.nat(31), level, expiresAt: expiry }), { minLength: 8, maxLength: 48 }),
    }),
  )
  .map(({ teamGrants, ...raw }) => ({
    ...raw,
    teamGrants: teamGrants.flatMap(({ nth, team, ...grant }) => {
      const org = raw.teams[team]?.org;
      const own = raw.datasets.flatMap((d, i) => (d.org === org && d.tier === 'admins' ? [i] : []));
      return own.length === 0 ? [] : [{ ...grant, team, dataset: own[nth % own.length]! }];
    }),
  }));

let worldCounter = 0;

type RawWorld = typeof worldArbitrary extends fc.Arbitrary<infer T> ? T : never;

function buildWorld(raw: RawWorld): RefWorld & { auditor: string } {
  worldCounter += 1;
  const p = `w${process.pid}_${worldCounter}_`;
  const users = Array.from({ length: raw.roles[0]!.length }, (_, i) => `${p}u${i}`);
  const orgs = raw.roles.map((_, o) => `${p}o${o}`);
  const members: RefWorld['members'] = [];
  // Admin of every org, never one of `users`: the one who asks for explanations.
  const auditor = `${p}auditor`;
  raw.roles.forEach((row, o) => {
    row.forEach((role, u) => {
      if (role) members.push({ org: orgs[o]!, user: users[u]!, role: role as 'admin' | 'member' });
    });
  });
  // Teams hold only members of their org, as the API enforces.
  const teams = raw.teams.map((t, i) => ({
    id: `${p}t${i}`,
    org: orgs[t.org]!,
    members: [...new Set(t.members.map((u) => users[u]!))].filter((u) => members.some((m) => m.org === orgs[t.org] && m.user === u)),
  }));
  const datasets = raw.datasets.map((d, i) => ({
    id: `${p}d${String(i).padStart(2, '0')}`,
    org: orgs[d.org]!,
    name: d.name,
    tier: d.tier,
  }));
  const dedupe = <T>(items: T[], key: (x: T) => string) => [...new Map(items.map((x) => [key(x), x])).values()];
  const userGrants = dedupe(
    raw.userGrants
      .filter((g) => g.dataset < datasets.length)
      .map((g) => ({ dataset: datasets[g.dataset]!.id, user: users[g.user]!, level: g.level, expiresAt: g.expiresAt })),
    (g) => `${g.dataset}/${g.user}`,
  );
  // Team grants only to teams of the dataset's own org, as the API enforces.
  const teamGrants = dedupe(
    raw.teamGrants
      .filter((g) => g.dataset < datasets.length && g.team < teams.length && teams[g.team]!.org === datasets[g.dataset]!.org)
      .map((g) => ({ dataset: datasets[g.dataset]!.id, team: teams[g.team]!.id, level: g.level, expiresAt: g.expiresAt })),
    (g) => `${g.dataset}/${g.team}`,
  );
  return { now: NOW, users, orgs, members, teams, datasets, userGrants, teamGrants, auditor };
}

async function seed(store: Store, w: RefWorld & { auditor: string }): Promise<void> {
  await store.db.transaction().execute(async (tx) => {
    await tx
      .insertInto('users')
      .values([...w.users, w.auditor].map((id) => ({ id, email: `${id}@example.test`, name: id, password_hash: 'x', created_at: 0 })))
      .execute();
    await tx
      .insertInto('orgs')
      .values(w.orgs.map((id) => ({ id, name: id, created_at: 0 })))
      .execute();
    await tx
      .insertInto('org_members')
      .values(w.orgs.map((org) => ({ org_id: org, user_id: w.auditor, role: 'admin' as const, process_datasets: 0, created_at: 0 })))
      .execute();
    if (w.members.length) {
      await tx
        .insertInto('org_members')
        .values(w.members.map((m) => ({ org_id: m.org, user_id: m.user, role: m.role, process_datasets: 0, created_at: 0 })))
        .execute();
    }
    for (const t of w.teams) {
      await tx.insertInto('teams').values({ id: t.id, org_id: t.org, name: t.id, created_at: 0 }).execute();
      if (t.members.length)
        await tx
          .insertInto('team_members')
          .values(t.members.map((u) => ({ team_id: t.id, user_id: u, created_at: 0 })))
          .execute();
    }
    await tx
      .insertInto('datasets')
      .values(
        w.datasets.map((d) => ({
          id: d.id,
          org_id: d.org,
          name: d.name,
          name_key: d.name.toLowerCase(),
          description: '',
          visibility: d.tier,
          predecessor_id: null,
          item_count: 0,
          created_at: 0,
          updated_at: 0,
        })),
      )
      .execute();
    if (w.userGrants.length) {
      await tx
        .insertInto('user_grants')
        .values(
          w.userGrants.map((g) => ({
            dataset_id: g.dataset,
            user_id: g.user,
            level: rankOf(g.level),
            expires_at: g.expiresAt,
            granted_by: null,
            created_at: 0,
            last_used_at: null,
          })),
        )
        .execute();
    }
    if (w.teamGrants.length) {
      await tx
        .insertInto('team_grants')
        .values(
          w.teamGrants.map((g) => ({
            dataset_id: g.dataset,
            team_id: g.team,
            level: rankOf(g.level),
            expires_at: g.expiresAt,
            granted_by: null,
            created_at: 0,
          })),
        )
        .execute();
    }
  });
}

async function pagedInventory(
  store: Store,
  user: string,
  options: { minLevel: Level; orgId?: string; q?: string },
  limit: number,
  indexedMatches?: number,
) {
  const seen: { id: string; level: Level }[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 50; pages += 1) {
    const page = await listInventory(store, {
      userId: user,
      minLevel: options.minLevel,
      orgId: options.orgId,
      search: options.q,
      limit,
      cursor,
      now: NOW,
      indexedMatches,
    });
    seen.push(...page.entries.map((e) => ({ id: e.dataset.id, level: e.level })));
    if (!page.nextCursor) return seen;
    cursor = page.nextCursor;
  }
  throw new Error('inventory did not end');
}

describe.each(DATABASES)('the access module agrees with the rule of PRODUCT.md (%s)', (db) => {
  let store: Store;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ store, close } = await openTestStore(db));
  });
  afterAll(() => close());

  it('check: the effective level of every (user, dataset) pair equals the reference', async () => {
    await fc.assert(
      fc.asyncProperty(worldArbitrary, async (raw) => {
        const w = buildWorld(raw);
        await seed(store, w);
        for (const user of w.users) {
          for (const d of w.datasets) {
            const access = await checkAccess(store.db, actingAs(user), d.id, NOW);
            expect(access?.level ?? null, `${user} on ${d.id}`).toBe(referenceLevel(w, user, d.id));
          }
        }
      }),
      { numRuns: 40 },
    );
  });

  it('inventory: every user, min level, org filter and search, paged, equals the reference', async () => {
    await fc.assert(
      fc.asyncProperty(
        worldArbitrary,
        fc.constantFrom<Level>(...LEVELS),
        fc.option(fc.nat(1), { nil: undefined }),
        // Terms of one and two characters (the keyset scan) and of three or more (the trigram index).
        fc.option(fc.constantFrom('a', 'BETA', 'ray', ' ', 'be', 'lph', 'TA ', '%', '_', '0%_', '%_o', 'ÜNÏ', 'nïc', 'a r', 'xyz'), {
          nil: undefined,
        }),
        fc.integer({ min: 1, max: 4 }),
        // The cap on matches read through the index: 0 always falls back to the keyset scan.
        fc.constantFrom(0, 2, 1000),
        async (raw, minLevel, org, q, limit, indexedMatches) => {
          const w = buildWorld(raw);
          await seed(store, w);
          const filter = { minLevel, ...(org === undefined ? {} : { orgId: w.orgs[org]! }), ...(q === undefined ? {} : { q }) };
          for (const user of w.users) {
            const actual = await pagedInventory(store, user, filter, limit, indexedMatches);
            expect(actual, `${user} ${JSON.stringify(filter)}`).toEqual(referenceInventory(w, user, filter));
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('inventory: users in more organizations and teams than the statement has branches for, paged, equal the reference', async () => {
    // Users past the places of each kind, among those asked without an org filter.
    const beyond = { admin: 0, member: 0, team: 0 };
    await fc.assert(
      fc.asyncProperty(
        crowdedWorldArbitrary,
        fc.constantFrom<Level>('read', 'read', 'write'),
        // Half the time no org filter: the places are the user's whole memberships then.
        fc.option(fc.nat(7), { nil: undefined, freq: 1 }),
        fc.option(fc.constantFrom('a', 'BETA', 'ray', '%_o', 'xyz'), { nil: undefined }),
        fc.integer({ min: 1, max: 5 }),
        async (raw, minLevel, org, q, limit) => {
          const w = buildWorld(raw);
          await seed(store, w);
          const filter = { minLevel, ...(org === undefined ? {} : { orgId: w.orgs[org]! }), ...(q === undefined ? {} : { q }) };
          for (const user of w.users) {
            if (org === undefined) {
              const roles = w.members.filter((m) => m.user === user);
              const admin = new Set(roles.filter((m) => m.role === 'admin').map((m) => m.org));
              if (admin.size > POSTGRES_SLOTS.admin) beyond.admin += 1;
              // Tiers are a path only to `read`.
              if (minLevel === 'read' && roles.length - admin.size > POSTGRES_SLOTS.member) beyond.member += 1;
              if (w.teams.filter((t) => t.members.includes(user) && !admin.has(t.org)).length > POSTGRES_SLOTS.team) beyond.team += 1;
            }
            const actual = await pagedInventory(store, user, filter, limit);
            expect(actual, `${user} ${JSON.stringify(filter)}`).toEqual(referenceInventory(w, user, filter));
          }
        },
      ),
      { numRuns: 40 },
    );
    // The worlds do reach past the places of every kind: the test is about those users.
    expect(beyond.admin).toBeGreaterThan(0);
    expect(beyond.member).toBeGreaterThan(0);
    expect(beyond.team).toBeGreaterThan(0);
  });

  it('explain: the level equals the check and the reference, and is the highest of its paths', async () => {
    await fc.assert(
      fc.asyncProperty(worldArbitrary, async (raw) => {
        const w = buildWorld(raw);
        await seed(store, w);
        for (const user of w.users) {
          for (const d of w.datasets) {
            const explained = await explainAccess(store.db, actingAs(w.auditor), d.id, user, NOW);
            const checked = await checkAccess(store.db, actingAs(user), d.id, NOW);
            expect(explained.level).toBe(checked?.level ?? null);
            expect(explained.level).toBe(referenceLevel(w, user, d.id));
            const best = Math.max(0, ...explained.paths.map((path) => rankOf(path.level)));
            expect(best === 0 ? null : LEVELS[best - 1]).toBe(explained.level);
          }
        }
      }),
      { numRuns: 25 },
    );
  });

  it('preview: the gains and losses are exactly the difference of the inventory before and after applying the change', async () => {
    await fc.assert(
      fc.asyncProperty(
        worldArbitrary,
        fc.nat(11),
        fc.oneof(fc.record({ visibility: tier }), fc.record({ removeTeam: fc.nat(3) }), fc.record({ removeUser: fc.nat(5) })),
        async (raw, datasetIndex, change) => {
          const w = buildWorld(raw);
          await seed(store, w);
          const d = w.datasets[datasetIndex % w.datasets.length]!;
          const everyone = [...w.users, w.auditor];
          // Each user's level on the dataset as the inventory shows it (absent: no access).
          const levels = async () =>
            Promise.all(
              everyone.map(
                async (u) => (await pagedInventory(store, u, { minLevel: 'read' }, 50)).find((e) => e.id === d.id)?.level ?? null,
              ),
            );
          const request = {
            ...('visibility' in change ? { visibility: change.visibility } : {}),
            ...('removeTeam' in change ? { removeTeamId: w.teams[change.removeTeam]?.id ?? 'no-such-team' } : {}),
            ...('removeUser' in change ? { removeUserId: w.users[change.removeUser]! } : {}),
          };
          const preview = await previewSharingChange(store.db, { id: d.id, org_id: d.org, visibility: d.tier }, request, NOW);

          const before = await levels();
          if (request.visibility)
            await store.db.updateTable('datasets').set({ visibility: request.visibility }).where('id', '=', d.id).execute();
          if (request.removeTeamId)
            await store.db.deleteFrom('team_grants').where('dataset_id', '=', d.id).where('team_id', '=', request.removeTeamId).execute();
          if (request.removeUserId)
            await store.db.deleteFrom('user_grants').where('dataset_id', '=', d.id).where('user_id', '=', request.removeUserId).execute();
          const after = await levels();

          const rankOrZero = (l: Level | null) => (l ? rankOf(l) : 0);
          const moved = everyone.map((u, i) => ({ user: u, from: before[i]!, to: after[i]! })).filter((x) => x.from !== x.to);
          const byUser = (xs: { user: string }[]) => [...xs].sort((a, b) => a.user.localeCompare(b.user));
          const summary = (xs: { user: { id: string }; from: Level | null; to: Level | null }[]) =>
            xs.map((x) => ({ user: x.user.id, from: x.from, to: x.to }));
          expect(byUser(summary(preview.gains))).toEqual(byUser(moved.filter((x) => rankOrZero(x.to) > rankOrZero(x.from))));
          expect(byUser(summary(preview.losses))).toEqual(byUser(moved.filter((x) => rankOrZero(x.to) < rankOrZero(x.from))));
        },
      ),
      { numRuns: 40 },
    );
  });
});
