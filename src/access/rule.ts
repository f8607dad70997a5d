import { type Level, levelOf, type OrgRole, rankOf, type Visibility } from './levels.js';

/**
 * What the database knows about one user and one dataset, with expired grants already
 * left out. Both the check and the inventory read these facts and apply `effectiveRank`,
 * so the two can never disagree.
 */
export interface AccessFacts {
  orgRole: OrgRole | null;
  visibility: Visibility;
  /** Highest level among the dataset's live grants to teams the user belongs to (rank, or null). */
  teamRank: number | null;
  /** The user's live direct grant on the dataset (rank, or null). */
  directRank: number | null;
}

export type AccessPath =
  | { kind: 'org_admin'; level: Level }
  | { kind: 'visibility'; level: Level }
  | { kind: 'team'; level: Level }
  | { kind: 'direct'; level: Level };

/**
 * Every path that grants something, per PRODUCT.md's effective-access rule, each given to
 * `take` as it is found: the rule is written once, here, for the paths that explain a decision
 * and for the level that makes it, which allocates nothing (it runs for every check and every
 * row of an inventory page).
 */
function eachPath(facts: AccessFacts, take: (kind: AccessPath['kind'], level: Level) => void): void {
  if (facts.orgRole === 'admin') take('org_admin', 'admin');
  if (facts.orgRole !== null && facts.visibility !== 'admins') take('visibility', 'read');
  const team = facts.teamRank === null ? null : levelOf(facts.teamRank);
  if (team) take('team', team);
  // Dormant: a direct grant to a non-member counts only while the tier is "external".
  const direct = facts.directRank === null ? null : levelOf(facts.directRank);
  if (direct && (facts.orgRole !== null || facts.visibility === 'external')) take('direct', direct);
}

/** Every path that grants something, per PRODUCT.md's effective-access rule. */
export function accessPaths(facts: AccessFacts): AccessPath[] {
  const paths: AccessPath[] = [];
  eachPath(facts, (kind, level) => paths.push({ kind, level }));
  return paths;
}

/** The effective level: the highest level of any path, or null for no access. */
export function effectiveLevel(facts: AccessFacts): Level | null {
  let best = 0;
  eachPath(facts, (_, level) => {
    best = Math.max(best, rankOf(level));
  });
  return levelOf(best);
}
