import type { Db } from '../store/database.js';
import type { OrgRole } from './levels.js';
import { membershipOf } from './org.js';

export interface JobFacts {
  actorId: string;
  startedBy: string;
  orgRole: OrgRole | null;
}

/** Who may do what to a processing job. To anyone else a job does not exist. */
export const JOB_ACTIONS = {
  'job.view': ({ actorId, startedBy, orgRole }: JobFacts) => actorId === startedBy || orgRole === 'admin',
  // Whoever may see a job may stop it: its starter, and the admins of its organization.
  'job.cancel': ({ actorId, startedBy, orgRole }: JobFacts) => actorId === startedBy || orgRole === 'admin',
} as const;

export type JobAction = keyof typeof JOB_ACTIONS;

export async function mayOnJob(db: Db, action: JobAction, actorId: string, job: { started_by: string; org_id: string }): Promise<boolean> {
  const orgRole = job.started_by === actorId ? null : ((await membershipOf(db, actorId, job.org_id))?.role ?? null);
  return JOB_ACTIONS[action]({ actorId, startedBy: job.started_by, orgRole });
}
