import { accessFactColumns, type FactRow } from '../access/check.js';
import type { Db } from './database.js';
import type { DatasetsTable, ProjectsTable } from './schema.js';

export async function findProject(db: Db, projectId: string): Promise<ProjectsTable | undefined> {
  return db.selectFrom('projects').selectAll().where('id', '=', projectId).executeTakeFirst();
}

export async function insertProject(db: Db, row: ProjectsTable): Promise<void> {
  await db.insertInto('projects').values(row).execute();
}

/** The organization's projects, by name. */
export async function projectsOfOrg(db: Db, orgId: string): Promise<Pick<ProjectsTable, 'id' | 'org_id' | 'name'>[]> {
  return db.selectFrom('projects').select(['id', 'org_id', 'name']).where('org_id', '=', orgId).orderBy('name').orderBy('id').execute();
}

/** Links the dataset to the project; nothing happens when it is linked already. */
export async function linkDataset(db: Db, link: { projectId: string; datasetId: string; addedBy: string; at: number }): Promise<void> {
  await db
    .insertInto('project_datasets')
    .values({ project_id: link.projectId, dataset_id: link.datasetId, added_by: link.addedBy, added_at: link.at })
    .onConflict((oc) => oc.columns(['project_id', 'dataset_id']).doNothing())
    .execute();
}

export async function unlinkDataset(db: Db, projectId: string, datasetId: string): Promise<void> {
  await db.deleteFrom('project_datasets').where('project_id', '=', projectId).where('dataset_id', '=', datasetId).execute();
}

/** The project's datasets by name, each with the viewer's access facts as the check reads them. */
export async function projectDatasetsWithFacts(
  db: Db,
  projectId: string,
  userId: string,
  now: number,
): Promise<(DatasetsTable & FactRow)[]> {
  const rows = await db
    .selectFrom('project_datasets as pd')
    .innerJoin('datasets as d', 'd.id', 'pd.dataset_id')
    .selectAll('d')
    .select(accessFactColumns(userId, now))
    .where('pd.project_id', '=', projectId)
    .orderBy('d.name_key')
    .orderBy('d.id')
    .execute();
  return rows as (DatasetsTable & FactRow)[];
}

/** The projects that hold the dataset, by name. */
export async function projectsHolding(db: Db, datasetId: string): Promise<Pick<ProjectsTable, 'id' | 'org_id' | 'name'>[]> {
  return db
    .selectFrom('project_datasets as pd')
    .innerJoin('projects as p', 'p.id', 'pd.project_id')
    .select(['p.id', 'p.org_id', 'p.name'])
    .where('pd.dataset_id', '=', datasetId)
    .orderBy('p.name')
    .execute();
}
