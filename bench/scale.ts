/** The synthetic world of issue 7 at three sizes: `full`, a tenth of it, a hundredth of it. */
export const SCALES = ['small', 'medium', 'full'] as const;
export type ScaleName = (typeof SCALES)[number];

export interface Scale {
  name: ScaleName;
  users: number;
  orgs: number;
  /** Members of the one very large organization. */
  bigOrgMembers: number;
  /** Memberships of every other organization together, spread by a Zipf law (very uneven). */
  otherMemberships: number;
  teams: number;
  datasets: number;
  /** Share of the datasets owned by the large organization. */
  bigOrgDatasetShare: number;
  /** Team grants held by the one large team (the fan-out case). */
  bigTeamGrants: number;
}

const FULL = {
  users: 100_000,
  orgs: 1_000,
  bigOrgMembers: 40_000,
  otherMemberships: 110_000,
  teams: 10_000,
  datasets: 1_000_000,
  bigOrgDatasetShare: 0.3,
  bigTeamGrants: 10_000,
};

export function scaleOf(name: ScaleName): Scale {
  const f = name === 'full' ? 1 : name === 'medium' ? 0.1 : 0.01;
  return {
    name,
    users: FULL.users * f,
    orgs: FULL.orgs * f,
    bigOrgMembers: FULL.bigOrgMembers * f,
    otherMemberships: FULL.otherMemberships * f,
    teams: FULL.teams * f,
    datasets: FULL.datasets * f,
    bigOrgDatasetShare: FULL.bigOrgDatasetShare,
    bigTeamGrants: FULL.bigTeamGrants * f,
  };
}

export function isScaleName(value: string): value is ScaleName {
  return (SCALES as readonly string[]).includes(value);
}
