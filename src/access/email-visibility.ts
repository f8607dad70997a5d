import type { Db } from '../store/database.js';

/**
 * Which of `userIds` the viewer may see the e-mail address of: their own, that of anyone
 * who shares an organization with them and, when the viewer administers `administeredDatasetId`,
 * that of anyone holding a grant on it. Everyone else is known by name only, so a dataset
 * shared outside the organization does not hand its members' addresses to the outsiders.
 */
export async function emailsVisibleTo(db: Db, viewerId: string, userIds: string[], administeredDatasetId?: string): Promise<Set<string>> {
  const visible = new Set(userIds.filter((id) => id === viewerId));
  const others = [...new Set(userIds.filter((id) => id !== viewerId))];
  if (others.length === 0) return visible;
  // org_members_user (user_id, org_id) finds the viewer's orgs, the primary key (org_id, user_id) the others in them.
  const colleagues = await db
    .selectFrom('org_members as theirs')
    .innerJoin('org_members as mine', 'mine.org_id', 'theirs.org_id')
    .select('theirs.user_id')
    .distinct()
    .where('mine.user_id', '=', viewerId)
    .where('theirs.user_id', 'in', others)
    .execute();
  for (const row of colleagues) visible.add(row.user_id);
  if (administeredDatasetId !== undefined) {
    const grantees = await db
      .selectFrom('user_grants')
      .select('user_id')
      .where('dataset_id', '=', administeredDatasetId)
      .where('user_id', 'in', others)
      .execute();
    for (const row of grantees) visible.add(row.user_id);
  }
  return visible;
}
