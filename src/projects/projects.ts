import { authorizeDatasetAction, authorizeOrgAction, capabilitiesOf, datasetActionsOfMany, orgFactsOf } from '../access/authorize.js';
import { factsOf } from '../access/check.js';
import type { Level } from '../access/levels.js';
import { can, type DatasetAction } from '../access/policy.js';
import { type AccessFacts, effectiveLevel } from '../access/rule.js';
import { type Actor, cappedLevel } from '../access/scope.js';
import { type Context, inTransaction } from '../context.js';
import { InvalidRequest, NotFound } from '../errors.js';
import type { Db } from '../store/database.js';
import {
  findProject,
  insertProject,
  linkDataset,
  projectDatasetsWithFacts,
  projectsHolding,
  projectsOfOrg,
  unlinkDataset,
} from '../store/projects.js';
import type { DatasetsTable, ProjectsTable } from '../store/schema.js';

export interface ProjectSummary {
  id: string;
  orgId: string;
  name: string;
}

async function visibleProject(db: Db, actor: Actor, projectId: string): Promise<ProjectsTable> {
  const project = await findProject(db, projectId);
  if (!project) throw new NotFound('Project');
  await authorizeOrgAction(db, actor, project.org_id, 'org.read').catch(() => {
    throw new NotFound('Project');
  });
  return project;
}

export async function createProject(ctx: Context, actor: Actor, orgId: string, rawName: string): Promise<ProjectSummary> {
  return inTransaction(ctx, async (tx) => {
    await authorizeOrgAction(tx, actor, orgId, 'org.manageProjects');
    const name = rawName.trim();
    if (!name) throw new InvalidRequest('The project name cannot be empty.', { field: 'name' });
    const row: ProjectsTable = { id: ctx.random.id('prj'), org_id: orgId, name, created_by: actor.id, created_at: ctx.clock.now() };
    await insertProject(tx, row);
    return { id: row.id, orgId, name };
  });
}

export async function listProjects(ctx: Context, actor: Actor, orgId: string): Promise<ProjectSummary[]> {
  await authorizeOrgAction(ctx.db, actor, orgId, 'org.read');
  const rows = await projectsOfOrg(ctx.db, orgId);
  return rows.map((r) => ({ id: r.id, orgId: r.org_id, name: r.name }));
}

/**
 * Adding needs membership of the project's organization and read on the dataset, wherever the
 * dataset lives: a partner's dataset shared with the caller belongs in their project too. The
 * project shows it only to those who can read it.
 */
export async function addDatasetToProject(ctx: Context, actor: Actor, projectId: string, datasetId: string): Promise<void> {
  await inTransaction(ctx, async (tx) => {
    await visibleProject(tx, actor, projectId);
    await authorizeDatasetAction(tx, actor, datasetId, 'dataset.read', ctx.clock.now());
    await linkDataset(tx, { projectId, datasetId, addedBy: actor.id, at: ctx.clock.now() });
  });
}

export async function removeDatasetFromProject(ctx: Context, actor: Actor, projectId: string, datasetId: string): Promise<void> {
  await inTransaction(ctx, async (tx) => {
    await visibleProject(tx, actor, projectId);
    await authorizeDatasetAction(tx, actor, datasetId, 'dataset.read', ctx.clock.now());
    await unlinkDataset(tx, projectId, datasetId);
  });
}

/**
 * A project with only the datasets the viewer can read; the others are not even counted.
 * One query: each linked dataset with the same access facts the check reads.
 */
export async function getProject(
  ctx: Context,
  actor: Actor,
  projectId: string,
): Promise<ProjectSummary & { datasets: { dataset: DatasetsTable; level: Level; allowedActions: DatasetAction[] }[] }> {
  const project = await visibleProject(ctx.db, actor, projectId);
  const rows = await projectDatasetsWithFacts(ctx.db, projectId, actor.id, ctx.clock.now());
  const datasets: { dataset: DatasetsTable; level: Level }[] = [];
  for (const row of rows) {
    const { org_role: _r, team_rank: _t, direct_rank: _d, ...dataset } = row;
    const facts: AccessFacts = factsOf(row);
    const level = effectiveLevel(facts);
    if (level) datasets.push({ dataset, level });
  }
  // The actions from the rule's level (the policy applies the token's cap); the level shown capped, as everywhere.
  const actions = await datasetActionsOfMany(
    ctx.db,
    actor,
    datasets.map((d) => ({ orgId: d.dataset.org_id, level: d.level, visibility: d.dataset.visibility })),
  );
  return {
    id: project.id,
    orgId: project.org_id,
    name: project.name,
    datasets: datasets.map((d, i) => ({ ...d, level: cappedLevel(actor, d.level), allowedActions: actions[i]! })),
  };
}

/** The projects that hold the dataset, for a viewer who can read it: those of the organizations they belong to. */
export async function projectsOfDataset(ctx: Context, actor: Actor, datasetId: string): Promise<ProjectSummary[]> {
  await authorizeDatasetAction(ctx.db, actor, datasetId, 'dataset.read', ctx.clock.now());
  // A dataset can sit in projects of other organizations (shared with their members); those stay theirs.
  const memberships = await capabilitiesOf(ctx.db, actor.id);
  const rows = (await projectsHolding(ctx.db, datasetId)).filter((r) =>
    can('org.read', orgFactsOf(actor, memberships.get(r.org_id) ?? null)),
  );
  return rows.map((r) => ({ id: r.id, orgId: r.org_id, name: r.name }));
}
