import type { Db } from './database.js';

export interface OrgRecord {
  id: string;
  name: string;
}

export async function insertOrg(tx: Db, org: OrgRecord, at: number): Promise<void> {
  await tx
    .insertInto('orgs')
    .values({ ...org, created_at: at })
    .execute();
}

export async function findOrg(db: Db, orgId: string): Promise<OrgRecord | undefined> {
  return db.selectFrom('orgs').select(['id', 'name']).where('id', '=', orgId).executeTakeFirst();
}

/** The name of an organization known to exist. */
export async function orgName(db: Db, orgId: string): Promise<string> {
  const row = await db.selectFrom('orgs').select('name').where('id', '=', orgId).executeTakeFirstOrThrow();
  return row.name;
}

/** Every organization with this exact name: names are not unique. */
export async function orgsNamed(db: Db, name: string): Promise<OrgRecord[]> {
  return db.selectFrom('orgs').select(['id', 'name']).where('name', '=', name).execute();
}

/** Locks the org row, so two concurrent changes to its admins cannot both see "another admin remains". */
export async function lockOrg(tx: Db, orgId: string): Promise<void> {
  await tx
    .updateTable('orgs')
    .set((eb) => ({ name: eb.ref('name') }))
    .where('id', '=', orgId)
    .execute();
}
