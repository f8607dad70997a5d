/**
 * A small, independent statement of PRODUCT.md's effective-access rule over a plain world,
 * written without the production code so the property tests compare two implementations.
 */

export const LEVELS = ['read', 'annotate', 'write', 'admin'] as const;
export type Level = (typeof LEVELS)[number];
export type Tier = 'external' | 'organization' | 'admins';

export interface RefWorld {
  now: number;
  users: string[];
  orgs: string[];
  members: { org: string; user: string; role: 'admin' | 'member' }[];
  teams: { id: string; org: string; members: string[] }[];
  datasets: { id: string; org: string; name: string; tier: Tier }[];
  userGrants: { dataset: string; user: string; level: Level; expiresAt: number | null }[];
  teamGrants: { dataset: string; team: string; level: Level; expiresAt: number | null }[];
}

const rank = (level: Level) => LEVELS.indexOf(level) + 1;

export function referenceLevel(w: RefWorld, user: string, datasetId: string): Level | null {
  const d = w.datasets.find((x) => x.id === datasetId);
  if (!d) return null;
  const live = (g: { expiresAt: number | null }) => g.expiresAt === null || g.expiresAt > w.now;
  const membership = w.members.find((m) => m.org === d.org && m.user === user);
  const candidates: number[] = [];
  if (membership?.role === 'admin') candidates.push(rank('admin'));
  if (membership && (d.tier === 'external' || d.tier === 'organization')) candidates.push(rank('read'));
  for (const g of w.teamGrants) {
    const team = w.teams.find((t) => t.id === g.team);
    if (g.dataset === d.id && live(g) && team?.members.includes(user)) candidates.push(rank(g.level));
  }
  const direct = w.userGrants.find((g) => g.dataset === d.id && g.user === user && live(g));
  if (direct && (membership || d.tier === 'external')) candidates.push(rank(direct.level));
  const best = Math.max(0, ...candidates);
  return best === 0 ? null : LEVELS[best - 1]!;
}

/** The inventory as the rule defines it: every dataset with level ≥ minLevel, by (lower-cased name, id). */
export function referenceInventory(
  w: RefWorld,
  user: string,
  options: { minLevel: Level; orgId?: string; q?: string },
): { id: string; level: Level }[] {
  return w.datasets
    .filter((d) => options.orgId === undefined || d.org === options.orgId)
    .filter((d) => !options.q || d.name.toLowerCase().includes(options.q.toLowerCase()))
    .map((d) => ({ d, level: referenceLevel(w, user, d.id) }))
    .filter((x) => x.level !== null && rank(x.level) >= rank(options.minLevel))
    .sort((a, b) => {
      const [x, y] = [a.d.name.toLowerCase(), b.d.name.toLowerCase()];
      return x < y ? -1 : x > y ? 1 : a.d.id < b.d.id ? -1 : a.d.id > b.d.id ? 1 : 0;
    })
    .map((x) => ({ id: x.d.id, level: x.level! }));
}
