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

/** Every path that grants something, per PRODUCT.md's effective-access rule. */
export function accessPaths(facts: AccessFacts): AccessPath[] {
  const paths: AccessPath[] = [];
  if (facts.orgRole === 'admin') paths.push({ kind: 'org_admin', level: 'admin' });
  if (facts.orgRole !== null && facts.visibility !== 'admins') paths.push({ kind: 'visibility', level: 'read' });
  const team = facts.teamRank === null ? null : levelOf(facts.teamRank);
  if (team) paths.push({ kind: 'team', level: team });
  // Dormant: a direct grant to a non-member counts only while the tier is "external".
  const direct = facts.directRank === null ? null : levelOf(facts.directRank);
  if (direct && (facts.orgRole !== null || facts.visibility === 'external')) paths.push({ kind: 'direct', level: direct });
  return paths;
}

/** The effective level: the highest level of any path, or null for no access. */
export function effectiveLevel(facts: AccessFacts): Level | null {
  let best = 0;
  for (const path of accessPaths(facts)) best = Math.max(best, rankOf(path.level));
  return levelOf(best);
}
