/** Access levels, ordered: each includes everything below it. Stored as their rank. */
export const LEVELS = ['read', 'annotate', 'write', 'admin'] as const;
export type Level = (typeof LEVELS)[number];

export const VISIBILITIES = ['external', 'organization', 'admins'] as const;
export type Visibility = (typeof VISIBILITIES)[number];

export type OrgRole = 'admin' | 'member';

export function rankOf(level: Level): number {
  return LEVELS.indexOf(level) + 1;
}

/** The level of a stored rank; 0 (or anything outside 1..4) means no access. */
export function levelOf(rank: number): Level | null {
  return LEVELS[rank - 1] ?? null;
}

export function atLeast(level: Level | null, minimum: Level): boolean {
  return level !== null && rankOf(level) >= rankOf(minimum);
}
