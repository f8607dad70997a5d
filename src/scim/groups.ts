import { iso } from '../clock.js';
import { type Context, inTransaction } from '../context.js';
import { NotFound } from '../errors.js';
import { requireName } from '../orgs/orgs.js';
import type { Db } from '../store/database.js';
import { membersAmongIds } from '../store/memberships.js';
import { listOrgTeams, teamMembersOf } from '../store/scim.js';
import { findTeamInOrg, teamCreatedAt } from '../store/teams.js';
import { dropTeam, insertTeam, joinTeam, leaveTeam, nameRace, renameTeamIn, type Team } from '../teams/teams.js';
import {
  type Directory,
  equalityFilter,
  isObject,
  listResponse,
  type Paging,
  patchOperations,
  SCHEMA,
  ScimInvalid,
  stringOf,
} from './protocol.js';

type Members = { teamId: string; userId: string; email: string; name: string }[];

function groupResource(ctx: Context, team: { id: string; name: string; createdAt: number }, members: Members | null) {
  return {
    schemas: [SCHEMA.group],
    id: team.id,
    displayName: team.name,
    ...(members === null
      ? {}
      : {
          members: members
            .filter((m) => m.teamId === team.id)
            .map((m) => ({ value: m.userId, display: m.name, $ref: new URL(`scim/v2/Users/${m.userId}`, ctx.publicUrl).toString() })),
        }),
    meta: { resourceType: 'Group', created: iso(team.createdAt), location: new URL(`scim/v2/Groups/${team.id}`, ctx.publicUrl).toString() },
  };
}

export type GroupResource = ReturnType<typeof groupResource>;

/** Teams of another organization do not exist for this directory. */
async function requireTeam(db: Db, directory: Directory, teamId: string): Promise<Team> {
  const team = await findTeamInOrg(db, teamId, directory.orgId);
  if (!team) throw new NotFound('Group');
  return team;
}

export async function listScimGroups(
  ctx: Context,
  directory: Directory,
  query: { filter?: string | undefined; excludedAttributes?: string | undefined },
  paging: Paging,
) {
  const found = equalityFilter(query.filter, { displayname: 'displayName' });
  const page = await listOrgTeams(ctx.db, directory.orgId, found?.value, { offset: paging.startIndex - 1, limit: paging.count });
  // Entra ID asks without members when it only looks a group up.
  const withMembers = !/(^|,)\s*members\s*(,|$)/i.test(query.excludedAttributes ?? '');
  const members = withMembers
    ? await teamMembersOf(
        ctx.db,
        page.items.map((t) => t.id),
      )
    : null;
  return listResponse(
    page.total,
    paging,
    page.items.map((t) => groupResource(ctx, t, members)),
  );
}

export async function getScimGroup(ctx: Context, directory: Directory, teamId: string): Promise<GroupResource> {
  const team = await requireTeam(ctx.db, directory, teamId);
  return groupResource(ctx, { ...team, createdAt: await teamCreatedAt(ctx.db, teamId) }, await teamMembersOf(ctx.db, [teamId]));
}

function memberIds(value: unknown): string[] {
  const list = Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
  return list.map((m) => stringOf(isObject(m) ? m.value : m, 'members.value'));
}

function displayNameOf(body: unknown): string {
  if (!isObject(body)) throw new ScimInvalid('invalidSyntax', 'The body must be a SCIM Group resource.');
  return requireName(stringOf(body.displayName, 'displayName'), 'group');
}

/** Sets the team's members to exactly these users of the organization, or adds or removes them. */
async function changeMembers(
  ctx: Context,
  tx: Db,
  directory: Directory,
  team: Team,
  op: 'add' | 'remove' | 'set',
  userIds: string[],
): Promise<void> {
  const at = ctx.clock.now();
  if (op === 'remove') {
    for (const userId of userIds) await leaveTeam(tx, ctx.random, team, userId, directory.tokenId, at);
    return;
  }
  const known = userIds.length ? await membersAmongIds(tx, directory.orgId, userIds) : [];
  const missing = userIds.filter((id) => !known.includes(id));
  if (missing.length > 0) throw new ScimInvalid('invalidValue', `Not active users of this organization: ${missing.join(', ')}.`);
  if (op === 'set') {
    const current = await teamMembersOf(tx, [team.id]);
    for (const m of current) if (!userIds.includes(m.userId)) await leaveTeam(tx, ctx.random, team, m.userId, directory.tokenId, at);
  }
  for (const userId of userIds) await joinTeam(tx, ctx.random, team, userId, directory.tokenId, at);
}

export async function createScimGroup(ctx: Context, directory: Directory, body: unknown): Promise<GroupResource> {
  const team: Team = { id: ctx.random.id('team'), orgId: directory.orgId, name: displayNameOf(body) };
  const members = memberIds((body as { members?: unknown }).members);
  await nameRace(
    ctx,
    () => team,
    () =>
      inTransaction(ctx, async (tx) => {
        await insertTeam(tx, ctx.random, team, directory.tokenId, ctx.clock.now());
        await changeMembers(ctx, tx, directory, team, 'set', members);
      }),
  );
  return getScimGroup(ctx, directory, team.id);
}

export async function replaceScimGroup(ctx: Context, directory: Directory, teamId: string, body: unknown): Promise<GroupResource> {
  const name = displayNameOf(body);
  const members = (body as { members?: unknown }).members;
  await nameRace(
    ctx,
    () => ({ id: teamId, orgId: directory.orgId, name }),
    () =>
      inTransaction(ctx, async (tx) => {
        const team = await requireTeam(tx, directory, teamId);
        await renameTeamIn(tx, ctx.random, team, name, directory.tokenId, ctx.clock.now());
        if (members !== undefined) await changeMembers(ctx, tx, directory, team, 'set', memberIds(members));
      }),
  );
  return getScimGroup(ctx, directory, teamId);
}

/** Renames and member changes, as Okta (path "members") and Entra ID (`members[value eq "…"]`, no-path values) send them. */
export async function patchScimGroup(ctx: Context, directory: Directory, teamId: string, body: unknown): Promise<GroupResource> {
  const operations = patchOperations(body);
  await inTransaction(ctx, async (tx) => {
    const team = await requireTeam(tx, directory, teamId);
    for (const { op, path, value } of operations) {
      const entries: [string, unknown][] = path === null ? (isObject(value) ? Object.entries(value) : []) : [[path, value]];
      if (entries.length === 0) throw new ScimInvalid('invalidSyntax', 'An operation without a path needs an object value.');
      for (const [attribute, attributeValue] of entries) {
        const member = /^members\[\s*value\s+eq\s+"([^"]+)"\s*\]$/i.exec(attribute);
        if (member && op === 'remove') await changeMembers(ctx, tx, directory, team, 'remove', [member[1]!]);
        else if (attribute.toLowerCase() === 'members') {
          const ids =
            op === 'remove' && attributeValue === undefined
              ? (await teamMembersOf(tx, [team.id])).map((m) => m.userId)
              : memberIds(attributeValue);
          await changeMembers(ctx, tx, directory, team, op === 'replace' ? 'set' : op, ids);
        } else if (attribute.toLowerCase() === 'displayname' && op !== 'remove') {
          const name = requireName(stringOf(attributeValue, 'displayName'), 'group');
          await renameTeamIn(tx, ctx.random, team, name, directory.tokenId, ctx.clock.now());
          team.name = name;
        } else if (!['id', 'externalid'].includes(attribute.toLowerCase())) {
          throw new ScimInvalid('invalidPath', `Groups support displayName and members; not "${attribute}".`);
        }
      }
    }
  });
  return getScimGroup(ctx, directory, teamId);
}

export async function deleteScimGroup(ctx: Context, directory: Directory, teamId: string): Promise<void> {
  await inTransaction(ctx, async (tx) =>
    dropTeam(tx, ctx.random, await requireTeam(tx, directory, teamId), directory.tokenId, ctx.clock.now()),
  );
}
