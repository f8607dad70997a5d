import { type User, userOf } from '../accounts/users.js';
import type { Db } from '../store/database.js';
import { inForce } from '../store/grants.js';
import { type Level, type OrgRole, rankOf, type Visibility } from './levels.js';
import { type AccessFacts, effectiveLevel } from './rule.js';

export interface SharingChange {
  visibility?: Visibility | undefined;
  removeTeamId?: string | undefined;
  removeUserId?: string | undefined;
}

export interface LevelChange {
  user: User;
  from: Level | null;
  to: Level | null;
}

interface CandidateFacts {
  id: string;
  email: string;
  name: string;
  email_verified: number;
  role: OrgRole | null;
  team_rank: number | null;
  team_rank_without: number | null;
  direct_rank: number | null;
}

/**
 * Who would gain and who would lose which level if `change` were applied to the dataset,
 * changing nothing. Everyone whose level could move is a candidate: the org's members, the
 * holders of direct grants and the members of teams holding grants. Each candidate's level
 * before and after comes from the same facts and rule as the check.
 */
export async function previewSharingChange(
  db: Db,
  dataset: { id: string; org_id: string; visibility: Visibility },
  change: SharingChange,
  now: number,
): Promise<{ gains: LevelChange[]; losses: LevelChange[] }> {
  const removedTeam = change.removeTeamId ?? '';
  const rows = await db
    .with('candidates', (qb) =>
      qb
        .selectFrom('org_members')
        .select('user_id')
        .where('org_id', '=', dataset.org_id)
        .union(qb.selectFrom('user_grants').select('user_id').where('dataset_id', '=', dataset.id))
        .union(
          qb
            .selectFrom('team_members as tm')
            .innerJoin('team_grants as tg', 'tg.team_id', 'tm.team_id')
            .select('tm.user_id')
            .where('tg.dataset_id', '=', dataset.id),
        ),
    )
    .selectFrom('candidates as c')
    .innerJoin('users as u', 'u.id', 'c.user_id')
    .leftJoin('org_members as m', (join) => join.onRef('m.user_id', '=', 'c.user_id').on('m.org_id', '=', dataset.org_id))
    .select((eb) => [
      'u.id',
      'u.email',
      'u.name',
      'u.email_verified',
      'm.role',
      eb
        .selectFrom('team_members as tm')
        .innerJoin('team_grants as tg', 'tg.team_id', 'tm.team_id')
        .select((s) => s.fn.max('tg.level').as('r'))
        .whereRef('tm.user_id', '=', 'c.user_id')
        .where('tg.dataset_id', '=', dataset.id)
        .where(inForce('tg.expires_at', now))
        .as('team_rank'),
      eb
        .selectFrom('team_members as tm')
        .innerJoin('team_grants as tg', 'tg.team_id', 'tm.team_id')
        .select((s) => s.fn.max('tg.level').as('r'))
        .whereRef('tm.user_id', '=', 'c.user_id')
        .where('tg.dataset_id', '=', dataset.id)
        .where('tg.team_id', '!=', removedTeam)
        .where(inForce('tg.expires_at', now))
        .as('team_rank_without'),
      eb
        .selectFrom('user_grants as g')
        .select('g.level')
        .whereRef('g.user_id', '=', 'c.user_id')
        .where('g.dataset_id', '=', dataset.id)
        .where(inForce('g.expires_at', now))
        .as('direct_rank'),
    ])
    .orderBy('u.name')
    .orderBy('u.id')
    .execute();

  const gains: LevelChange[] = [];
  const losses: LevelChange[] = [];
  for (const row of rows as CandidateFacts[]) {
    const num = (v: number | null) => (v === null ? null : Number(v));
    const before: AccessFacts = {
      orgRole: row.role,
      visibility: dataset.visibility,
      teamRank: num(row.team_rank),
      directRank: num(row.direct_rank),
    };
    const after: AccessFacts = {
      orgRole: row.role,
      visibility: change.visibility ?? dataset.visibility,
      teamRank: change.removeTeamId ? num(row.team_rank_without) : before.teamRank,
      directRank: change.removeUserId === row.id ? null : before.directRank,
    };
    const from = effectiveLevel(before);
    const to = effectiveLevel(after);
    const delta = (to ? rankOf(to) : 0) - (from ? rankOf(from) : 0);
    if (delta === 0) continue;
    const entry = { user: userOf(row), from, to };
    (delta > 0 ? gains : losses).push(entry);
  }
  return { gains, losses };
}
