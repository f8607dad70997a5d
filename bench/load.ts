import { checkAccess } from '../src/access/check.js';
import { actingAs } from '../src/access/scope.js';
import type { Db } from '../src/store/database.js';
import { issueTokens, type LoadFigures, type LoadRequest, load, type ServerProcess } from './http.js';
import { randomSource } from './shape.js';
import { round } from './stats.js';
import type { WorldFacts } from './world.js';

/** Who asks for what under load: readable (user, dataset) pairs, inventory users, and writers. */
export interface LoadFixtures {
  tokens: Map<string, string>;
  readable: [string, string][];
  /** (dataset admin, dataset in the big org): a writer who may grant the heavy user access. */
  writers: [string, string][];
  heavyUser: string;
  typicalUser: string;
}

export async function loadFixtures(db: Db, facts: WorldFacts, count = 2_000): Promise<LoadFixtures> {
  const now = Date.now();
  const readable: [string, string][] = [];
  for (const [u, d] of facts.grantPairs) {
    if (readable.length >= count) break;
    if (await checkAccess(db, actingAs(u), d, now)) readable.push([u, d]);
  }
  const writers: [string, string][] = [];
  for (const [u, d] of facts.creators) {
    if (writers.length >= 200) break;
    const access = await checkAccess(db, actingAs(u), d, now);
    if (access?.level === 'admin' && access.dataset.org_id === facts.bigOrg && u !== facts.heavyUser) writers.push([u, d]);
  }
  const users = new Set([...readable.map(([u]) => u), ...writers.map(([u]) => u), facts.heavyUser, facts.typicalUser]);
  const tokens = await issueTokens(db, [...users]);
  return { tokens, readable, writers, heavyUser: facts.heavyUser, typicalUser: facts.typicalUser };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

export function readDataset(f: LoadFixtures, random: () => number): LoadRequest {
  const [u, d] = f.readable[Math.floor(random() * f.readable.length)]!;
  return { method: 'GET', path: `/api/v1/datasets/${d}`, headers: bearer(f.tokens.get(u)!) };
}

export function inventoryPage(f: LoadFixtures, user: string): LoadRequest {
  return { method: 'GET', path: '/api/v1/datasets?limit=50', headers: bearer(f.tokens.get(user)!) };
}

function grantWrite(f: LoadFixtures, random: () => number): LoadRequest {
  const [admin, d] = f.writers[Math.floor(random() * f.writers.length)]!;
  return {
    method: 'PUT',
    path: `/api/v1/datasets/${d}/sharing/users/${f.heavyUser}`,
    headers: { ...bearer(f.tokens.get(admin)!), 'content-type': 'application/json' },
    body: JSON.stringify({ level: 'read' }),
  };
}

export interface HttpFigures {
  authorized_rps: number;
  authorized_p99_ms: number;
  inventory_rps: number;
  inventory_p99_ms: number;
  bare_rps: number;
  bare_p99_ms: number;
  /** Authorized GET req/s over the bare route's, in the same run. */
  ratio: number;
  runs: { authorized: LoadFigures; inventory: LoadFigures; bare: LoadFigures };
}

/** An authorized GET /datasets/:id, an inventory page (the typical member), and the bare route: 32 connections each. */
export async function measureHttp(server: ServerProcess, f: LoadFixtures, seconds: number): Promise<HttpFigures> {
  const random = randomSource(5);
  await load(server.url, () => readDataset(f, random), { seconds: 1 });
  const authorized = await load(server.url, () => readDataset(f, random), { seconds });
  const inventory = await load(server.url, () => inventoryPage(f, f.typicalUser), { seconds });
  const bare = await load(server.bareUrl, () => ({ method: 'GET', path: '/bare', headers: {} }), { seconds });
  return {
    authorized_rps: authorized.rps,
    authorized_p99_ms: authorized.p99_ms,
    inventory_rps: inventory.rps,
    inventory_p99_ms: inventory.p99_ms,
    bare_rps: bare.rps,
    bare_p99_ms: bare.p99_ms,
    ratio: round(authorized.rps / bare.rps, 3),
    runs: { authorized, inventory, bare },
  };
}

export interface MixedRun {
  offered_rps: number;
  achieved_rps: number;
  dropped: number;
  p50_ms: number;
  p99_ms: number;
  non2xx: number;
}

/**
 * 99 % reads (90 % authorized GETs of a dataset, 9 % inventory pages of the typical member: one
 * listing for every ten datasets opened) and 1 % grant writes, at fixed offered rates. What is
 * not sent in time is dropped: offered × duration − sent.
 */
export async function measureMixed(server: ServerProcess, f: LoadFixtures, rates: number[], seconds: number): Promise<MixedRun[]> {
  const random = randomSource(9);
  const next = (): LoadRequest => {
    const r = random();
    if (r < 0.01) return grantWrite(f, random);
    return r < 0.91 ? readDataset(f, random) : inventoryPage(f, f.typicalUser);
  };
  const runs: MixedRun[] = [];
  for (const rate of rates) {
    const result = await load(server.url, next, { seconds, overallRate: rate });
    runs.push({
      offered_rps: rate,
      achieved_rps: result.rps,
      dropped: Math.max(0, rate * seconds - result.requests),
      p50_ms: result.p50_ms,
      p99_ms: result.p99_ms,
      non2xx: result.non2xx,
    });
  }
  return runs;
}
