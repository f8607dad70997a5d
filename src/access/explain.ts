import { iso } from '../clock.js';
import { NotFound } from '../errors.js';
import type { Db } from '../store/database.js';
import { inForce } from '../store/grants.js';
import { datasetFactsOf } from './authorize.js';
import { checkAccess } from './check.js';
import { type Level, levelOf } from './levels.js';
import { authorize } from './policy.js';
import { accessPaths } from './rule.js';
import { type Actor, actingAs } from './scope.js';

export type ExplainedPath =
  | { kind: 'org_admin'; level: Level }
  | { kind: 'visibility'; level: Level }
  | { kind: 'team'; level: Level; team: { id: string; name: string }; expiresAt: string | null }
  | { kind: 'direct'; level: Level; expiresAt: string | null };

export interface Explanation {
  level: Level | null;
  paths: ExplainedPath[];
  /** A direct grant to an external accessor that is not in force while the tier is not "external". */
  dormant: { kind: 'direct'; level: Level; expiresAt: string | null }[];
}

/**
 * Why `subjectId` has the level they have on a dataset: every path that grants something.
 * The level and the paths come from the same facts and rule as the check, so they cannot disagree.
 */
export async function explainAccess(db: Db, actor: Actor, datasetId: string, subjectId: string, now: number): Promise<Explanation> {
  const actorId = actor.id;
  const own = await checkAccess(db, actor, datasetId, now);
  if (!own) throw new NotFound('Dataset');
  if (actorId !== subjectId) authorize('dataset.explainAccess', datasetFactsOf(actor, own.facts, false));

  if (actorId !== subjectId) {
    const exists = await db.selectFrom('users').select('id').where('id', '=', subjectId).executeTakeFirst();
    if (!exists) throw new NotFound('User');
  }
  const subject = actorId === subjectId ? own : await checkAccess(db, actingAs(subjectId), datasetId, now);
  const teams = await db
    .selectFrom('team_grants as tg')
    .innerJoin('team_members as tm', 'tm.team_id', 'tg.team_id')
    .innerJoin('teams as t', 't.id', 'tg.team_id')
    .select(['t.id', 't.name', 'tg.level', 'tg.expires_at'])
    .where('tg.dataset_id', '=', datasetId)
    .where('tm.user_id', '=', subjectId)
    .where(inForce('tg.expires_at', now))
    .orderBy('tg.level', 'desc')
    .orderBy('t.name')
    .execute();
  const direct = await db
    .selectFrom('user_grants')
    .select(['level', 'expires_at'])
    .where('dataset_id', '=', datasetId)
    .where('user_id', '=', subjectId)
    .where(inForce('expires_at', now))
    .executeTakeFirst();
  const directPath = direct ? { kind: 'direct' as const, level: levelOf(direct.level) ?? 'read', expiresAt: iso(direct.expires_at) } : null;

  if (!subject) return { level: null, paths: [], dormant: directPath ? [directPath] : [] };
  const paths: ExplainedPath[] = [];
  for (const path of accessPaths(subject.facts)) {
    if (path.kind === 'team') {
      for (const t of teams)
        paths.push({ kind: 'team', level: levelOf(t.level) ?? 'read', team: { id: t.id, name: t.name }, expiresAt: iso(t.expires_at) });
    } else if (path.kind === 'direct') {
      if (directPath) paths.push(directPath);
    } else {
      paths.push(path);
    }
  }
  const directInForce = paths.some((p) => p.kind === 'direct');
  return { level: subject.level, paths, dormant: directPath && !directInForce ? [directPath] : [] };
}
