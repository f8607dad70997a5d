import type { Scale } from './scale.js';

/** A small, fast, seeded generator (mulberry32): the same seed always builds the same world. */
export function randomSource(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const userId = (i: number) => `u_${i.toString(36).padStart(6, '0')}`;
export const orgId = (k: number) => `org_${k.toString(36).padStart(4, '0')}`;
export const teamId = (t: number) => `tm_${t.toString(36).padStart(5, '0')}`;
export const datasetId = (i: number) => `ds_${i.toString(36).padStart(7, '0')}`;

/** Users with a role in the measurements; every other user is drawn at random. */
export const HEAVY_USER = 0;
export const TYPICAL_USER = 1;
export const EXTERNAL_USER = 2;
const FIRST_RANDOM_USER = 3;

/**
 * Who belongs where: organizations of Zipf-distributed size (one with 40 % of the users),
 * their admins, their teams, and each user's teams (0 to 12, most in few).
 */
export interface Shape {
  scale: Scale;
  /** Members of each organization; the first `admins[k]` of them are its admins. */
  members: number[][];
  admins: number[];
  userOrgs: number[][];
  orgTeams: number[][];
  teamOrg: number[];
  teamMembers: number[][];
  /** The organization of a random dataset: the big one, or one chosen by size. */
  pickOrg(): number;
  typicalOrg: number;
  bigTeam: number;
  random: () => number;
}

function zipfWeights(count: number): { weights: number[]; total: number } {
  const weights = Array.from({ length: count }, (_, k) => (k === 0 ? 0 : 1 / k));
  return { weights, total: weights.reduce((a, b) => a + b, 0) };
}

function chooseMembers(shape: { random: () => number }, pool: Int32Array, size: number): number[] {
  const chosen: number[] = [];
  for (let i = 0; i < size && i < pool.length; i += 1) {
    const j = i + Math.floor(shape.random() * (pool.length - i));
    const picked = pool[j]!;
    pool[j] = pool[i]!;
    pool[i] = picked;
    chosen.push(picked);
  }
  return chosen;
}

function teamsPerOrg(scale: Scale, weights: number[], total: number): number[] {
  const big = Math.round(scale.teams * 0.1);
  const counts = weights.map((w, k) => (k === 0 ? big : Math.floor(((scale.teams - big) * w) / total)));
  let missing = scale.teams - counts.reduce((a, b) => a + b, 0);
  for (let k = 1; missing > 0; k = (k % (counts.length - 1)) + 1, missing -= 1) counts[k]! += 1;
  return counts;
}

/** How many teams a user is in: a quarter in none, most in a few, some in up to 12. */
function teamCount(random: () => number): number {
  if (random() < 0.25) return 0;
  return 1 + Math.floor(12 * random() ** 2.5);
}

function distinctPicks(random: () => number, from: number[], count: number, first: number[] = []): number[] {
  const picked = new Set(first);
  const wanted = Math.min(count, from.length);
  while (picked.size < wanted) picked.add(from[Math.floor(random() * from.length)]!);
  return [...picked];
}

export function buildShape(scale: Scale, seed = 7): Shape {
  const random = randomSource(seed);
  const { weights, total } = zipfWeights(scale.orgs);
  const pool = Int32Array.from({ length: scale.users - FIRST_RANDOM_USER }, (_, i) => i + FIRST_RANDOM_USER);
  const members: number[][] = [];
  for (let k = 0; k < scale.orgs; k += 1) {
    const size = k === 0 ? scale.bigOrgMembers : Math.max(2, Math.round((scale.otherMemberships * weights[k]!) / total));
    members.push(chooseMembers({ random }, pool, size));
  }
  const typicalOrg = Math.max(1, Math.round(scale.orgs * 0.02));
  // The heavy user administers the big organization and is a plain member of three others.
  members[0]!.unshift(HEAVY_USER);
  for (const k of [1, 2, 3]) if (k < scale.orgs) members[k]!.push(HEAVY_USER);
  members[typicalOrg]!.push(TYPICAL_USER);
  const admins = members.map((m) => Math.max(1, Math.round(m.length * 0.02)));

  const userOrgs: number[][] = Array.from({ length: scale.users }, () => []);
  members.forEach((list, k) => {
    for (const u of list) userOrgs[u]!.push(k);
  });

  const orgTeams: number[][] = [];
  const teamOrg: number[] = [];
  teamsPerOrg(scale, weights, total).forEach((count, k) => {
    const teams: number[] = [];
    for (let i = 0; i < count; i += 1) {
      teams.push(teamOrg.length);
      teamOrg.push(k);
    }
    orgTeams.push(teams);
  });
  const bigTeam = orgTeams[0]![0]!;

  const teamMembers: number[][] = teamOrg.map(() => []);
  for (let u = 0; u < scale.users; u += 1) {
    const candidates = userOrgs[u]!.flatMap((k) => orgTeams[k]!);
    let teams: number[];
    if (u === HEAVY_USER) teams = distinctPicks(random, candidates, 12, [bigTeam]);
    else if (u === TYPICAL_USER) teams = distinctPicks(random, candidates, 2);
    else teams = distinctPicks(random, candidates, teamCount(random));
    for (const t of teams) teamMembers[t]!.push(u);
  }

  const cumulative: number[] = [];
  let sum = 0;
  for (const w of weights) {
    sum += w;
    cumulative.push(sum);
  }
  const pickOrg = () => {
    if (random() < scale.bigOrgDatasetShare) return 0;
    const target = random() * sum;
    let lo = 1;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! < target) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };

  return { scale, members, admins, userOrgs, orgTeams, teamOrg, teamMembers, pickOrg, typicalOrg, bigTeam, random };
}
