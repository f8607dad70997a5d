import type { Scale } from './scale.js';
import { buildShape, datasetId, EXTERNAL_USER, HEAVY_USER, orgId, type Shape, TYPICAL_USER, teamId, userId } from './shape.js';

export type Cell = string | number | null;
export type Row = Cell[];

/** Columns in the order the generator emits them; the loader keeps those the schema has. */
export const COLUMNS = {
  users: ['id', 'email', 'name', 'password_hash', 'created_at'],
  orgs: ['id', 'name', 'created_at'],
  org_members: ['org_id', 'user_id', 'role', 'process_datasets', 'created_at'],
  teams: ['id', 'org_id', 'name', 'created_at'],
  team_members: ['team_id', 'user_id', 'created_at'],
  datasets: ['id', 'org_id', 'name', 'name_key', 'description', 'visibility', 'predecessor_id', 'item_count', 'created_at', 'updated_at'],
  user_grants: ['dataset_id', 'user_id', 'level', 'expires_at', 'granted_by', 'created_at', 'last_used_at', 'name_key'],
  team_grants: ['dataset_id', 'team_id', 'level', 'expires_at', 'granted_by', 'created_at', 'last_used_at', 'name_key'],
} as const;
export type TableName = keyof typeof COLUMNS;
export const TABLES = Object.keys(COLUMNS) as TableName[];

/** Rows of one table, emitted in batches so the world never sits in memory at once. */
export interface Batch {
  table: TableName;
  rows: Row[];
}

const ADJECTIVES = 'aerial coastal urban night winter desert forest harbor rural indoor thermal noisy clean sparse dense raw'.split(' ');
const NOUNS = 'lidar drone street traffic crops faces retail xray sonar radar mri satellite camera audio weather parcels'.split(' ');
/** One noun in sixteen: a search for it matches about 6 % of the names. */
export const SEARCH_TERM = 'Sonar';
/** A rare term: one noun in sixteen and eleven numbers in ten thousand ("sonar 123", "sonar 1230"…), about 7 names in 100 000. */
export const RARE_SEARCH_TERM = 'Sonar 123';

const DAY = 86_400_000;
const BATCH = 5_000;

/** What the measurements need to know about the world they run on. */
export interface WorldFacts {
  scale: Scale;
  now: number;
  heavyUser: string;
  typicalUser: string;
  externalUser: string;
  bigOrg: string;
  bigTeam: string;
  /** An organization admin of the big org other than the heavy user (a writer in the fan-out cases). */
  bigOrgAdmin: string;
  counts: Record<TableName, number>;
  /** (user, dataset) pairs that hold a grant: the "hit" half of the check sample. */
  grantPairs: [string, string][];
  /** Datasets with the creator who holds their admin grant. */
  creators: [string, string][];
  /** Users who belong to no organization (partners, consultants). */
  outsiders: string[];
}

function levelRank(r: number): number {
  return r < 0.4 ? 1 : r < 0.65 ? 2 : r < 0.85 ? 3 : 4;
}

function expiry(random: () => number, now: number, expiredShare: number): number | null {
  const r = random();
  if (r < expiredShare) return now - Math.ceil(random() * 30) * DAY;
  if (r < expiredShare + 0.08) return now + 30 * DAY;
  return null;
}

function* membershipRows(shape: Shape, now: number): Generator<Batch> {
  const { scale } = shape;
  const users: Row[] = [];
  for (let u = 0; u < scale.users; u += 1) users.push([userId(u), `${userId(u)}@bench.tessera.test`, `User ${u}`, 'x', now]);
  yield { table: 'users', rows: users };
  yield { table: 'orgs', rows: shape.members.map((_, k) => [orgId(k), k === 0 ? 'Big Org' : `Org ${k}`, now]) };
  const members: Row[] = [];
  shape.members.forEach((list, k) => {
    list.forEach((u, i) => {
      members.push([orgId(k), userId(u), i < shape.admins[k]! ? 'admin' : 'member', i % 3 === 0 ? 1 : 0, now]);
    });
  });
  yield { table: 'org_members', rows: members };
  yield { table: 'teams', rows: shape.teamOrg.map((k, t) => [teamId(t), orgId(k), `Team ${t}`, now]) };
  yield { table: 'team_members', rows: shape.teamMembers.flatMap((list, t) => list.map((u) => [teamId(t), userId(u), now])) };
}

/**
 * Generates the world: memberships first, then datasets in id order, each with its creator's
 * admin grant, about two more direct grants (10 % to external accessors, some expired) and
 * about one team grant. `facts` is filled in as the rows go by.
 */
export function* worldRows(shape: Shape, now: number, facts: WorldFacts): Generator<Batch> {
  const { scale, random } = shape;
  for (const batch of membershipRows(shape, now)) {
    facts.counts[batch.table] += batch.rows.length;
    yield batch;
  }
  const pairEvery = Math.max(1, Math.round((scale.datasets * 3) / 20_000));
  const heavyShare = 0.01;
  const externalShare = Math.min(1, 300 / (0.2 * scale.datasets));
  const bigTeamShare = scale.bigTeamGrants / (scale.datasets * scale.bigOrgDatasetShare);
  let extraGrants = 0;
  let datasets: Row[] = [];
  let grants: Row[] = [];
  let teamGrants: Row[] = [];
  // All three together, datasets first: a grant never arrives before its dataset.
  const flush = function* (force: boolean): Generator<Batch> {
    if (!force && grants.length < BATCH) return;
    for (const [table, rows] of [
      ['datasets', datasets],
      ['user_grants', grants],
      ['team_grants', teamGrants],
    ] as const) {
      facts.counts[table] += rows.length;
      if (rows.length > 0) yield { table, rows };
    }
    datasets = [];
    grants = [];
    teamGrants = [];
  };
  for (let i = 0; i < scale.datasets; i += 1) {
    const id = datasetId(i);
    const k = shape.pickOrg();
    const members = shape.members[k]!;
    const r = random();
    const visibility = r < 0.3 ? 'external' : r < 0.65 ? 'organization' : 'admins';
    const adjective = ADJECTIVES[Math.floor(random() * ADJECTIVES.length)]!;
    const noun = NOUNS[Math.floor(random() * NOUNS.length)]!;
    const name = `${random() < 0.5 ? adjective : adjective[0]!.toUpperCase() + adjective.slice(1)} ${noun} ${Math.floor(random() * 10_000)}`;
    const nameKey = name.toLowerCase();
    datasets.push([id, orgId(k), name, nameKey, '', visibility, null, 0, now, now]);

    const creator = random() < 0.3 ? members[Math.floor(random() * shape.admins[k]!)]! : members[Math.floor(random() * members.length)]!;
    const holders = new Set([creator]);
    grants.push([id, userId(creator), 4, null, userId(creator), now, null, nameKey]);
    if (i % 97 === 0) facts.creators.push([userId(creator), id]);
    const extra = random() < 0.5 ? 1 : 3;
    for (let g = 0; g < extra; g += 1) {
      let u: number;
      if (random() < 0.1) {
        u = random() < externalShare ? EXTERNAL_USER : Math.floor(random() * scale.users);
        if (shape.userOrgs[u]!.includes(k)) continue;
      } else {
        u = k === 0 && random() < heavyShare ? HEAVY_USER : members[Math.floor(random() * members.length)]!;
      }
      if (holders.has(u)) continue;
      holders.add(u);
      grants.push([id, userId(u), levelRank(random()), expiry(random, now, 0.04), userId(creator), now, null, nameKey]);
      extraGrants += 1;
      if (extraGrants % pairEvery === 0) facts.grantPairs.push([userId(u), id]);
    }

    const teams = shape.orgTeams[k]!;
    const teamHolders = new Set<number>();
    if (k === 0 && random() < bigTeamShare) teamHolders.add(shape.bigTeam);
    const wanted = teams.length === 0 ? 0 : Math.floor(random() * 3);
    for (let g = 0; g < wanted; g += 1) teamHolders.add(teams[Math.floor(random() * teams.length)]!);
    for (const t of teamHolders) {
      teamGrants.push([id, teamId(t), levelRank(random()), expiry(random, now, 0.03), userId(creator), now, null, nameKey]);
    }
    yield* flush(false);
  }
  yield* flush(true);
}

/** The facts of a world before its rows are generated; `worldRows` completes them. */
export function startWorld(scale: Scale, now: number): { shape: Shape; facts: WorldFacts } {
  const shape = buildShape(scale);
  const counts = Object.fromEntries(TABLES.map((t) => [t, 0])) as Record<TableName, number>;
  const bigOrgMembers = shape.members[0]!;
  const facts: WorldFacts = {
    scale,
    now,
    heavyUser: userId(HEAVY_USER),
    typicalUser: userId(TYPICAL_USER),
    externalUser: userId(EXTERNAL_USER),
    bigOrg: orgId(0),
    bigTeam: teamId(shape.bigTeam),
    bigOrgAdmin: userId(bigOrgMembers[1]!),
    counts,
    grantPairs: [],
    creators: [],
    outsiders: shape.userOrgs.flatMap((orgs, u) => (orgs.length === 0 && u !== EXTERNAL_USER ? [userId(u)] : [])).slice(0, 20_000),
  };
  return { shape, facts };
}
