import { directoryMayTake } from '../access/provisioning.js';
import { endSessionsOf } from '../accounts/sessions.js';
import { deleteAccessTokensOf } from '../accounts/tokens.js';
import { normalizeEmail } from '../accounts/validation.js';
import { recordEvent } from '../audit/record.js';
import { iso } from '../clock.js';
import { type Context, inTransaction } from '../context.js';
import { DomainError, NotFound } from '../errors.js';
import { takeOutOfOrg } from '../orgs/orgs.js';
import { hashPassword } from '../secrets.js';
import type { Db } from '../store/database.js';
import { addMembership } from '../store/memberships.js';
import { lockOrg } from '../store/orgs.js';
import {
  type DirectoryUserRow,
  directoryUser,
  forgetProvisioned,
  listDirectoryUsers,
  organizationCount,
  recordProvisioned,
  updateProvisioned,
} from '../store/scim.js';
import { findUserByEmail, insertUser, updateUser } from '../store/users.js';
import { type Directory, equalityFilter, listResponse, type Paging, patchOperations, SCHEMA, ScimInvalid } from './protocol.js';
import { changeOfPatch, changeOfResource, nameParts, resolvedName, type UserChange } from './user-changes.js';

function userResource(ctx: Context, u: DirectoryUserRow) {
  return {
    schemas: [SCHEMA.user],
    id: u.id,
    ...(u.provisioned?.externalId ? { externalId: u.provisioned.externalId } : {}),
    userName: u.email,
    name: { formatted: u.name, ...nameParts(u.name) },
    displayName: u.name,
    emails: [{ value: u.email, type: 'work', primary: true }],
    active: u.member,
    meta: { resourceType: 'User', created: iso(u.createdAt), location: new URL(`scim/v2/Users/${u.id}`, ctx.publicUrl).toString() },
  };
}

export type UserResource = ReturnType<typeof userResource>;

async function requireDirectoryUser(db: Db, directory: Directory, userId: string): Promise<DirectoryUserRow> {
  const user = await directoryUser(db, directory.orgId, userId);
  if (!user) throw new NotFound('User');
  return user;
}

export async function getScimUser(ctx: Context, directory: Directory, userId: string): Promise<UserResource> {
  return userResource(ctx, await requireDirectoryUser(ctx.db, directory, userId));
}

export async function listScimUsers(ctx: Context, directory: Directory, filter: string | undefined, paging: Paging) {
  const found = equalityFilter(filter, { username: 'email', 'emails.value': 'email', emails: 'email', externalid: 'externalId' });
  const where = found === null ? {} : found.attribute === 'email' ? { email: normalizeEmail(found.value) } : { externalId: found.value };
  const page = await listDirectoryUsers(ctx.db, directory.orgId, where, { offset: paging.startIndex - 1, limit: paging.count });
  return listResponse(
    page.total,
    paging,
    page.items.map((u) => userResource(ctx, u)),
  );
}

/**
 * The directory vouches for an address that has no account: a new account is created verified
 * (its owner sets a password by reset, or signs in with SSO). An existing account is taken only
 * when its owner is already a member of the organization (`directoryMayTake`), as it is; anyone
 * else is invited, and a squatter's unproved account is then ended by the invitation, which
 * proves the mailbox.
 */
export async function createScimUser(ctx: Context, directory: Directory, body: unknown): Promise<UserResource> {
  const change = changeOfResource(body);
  if (change.email === undefined) throw new ScimInvalid('invalidValue', 'A user needs a userName or an e-mail address.');
  const email = change.email;
  const unusablePassword = await hashPassword(ctx.random.secret());
  const userId = await inTransaction(ctx, async (tx) => {
    // Memberships change under the organization's lock: a person cannot leave between the
    // question whether they are a member and their linking.
    await lockOrg(tx, directory.orgId);
    const at = ctx.clock.now();
    const existing = await findUserByEmail(tx, email);
    if (existing) {
      const known = await directoryUser(tx, directory.orgId, existing.id);
      if (known?.provisioned) throw new ScimInvalid('uniqueness', 'The organization already has a user with this userName.');
      if (!directoryMayTake(known)) {
        throw new ScimInvalid(
          'uniqueness',
          'An account with this address exists and is not a member of the organization: invite the person to join it first.',
        );
      }
      await recordProvisioned(tx, {
        orgId: directory.orgId,
        userId: existing.id,
        externalId: change.externalId ?? null,
        createdAccount: false,
        at,
      });
      await applyChange(ctx, tx, directory, await requireDirectoryUser(tx, directory, existing.id), {
        ...change,
        active: change.active ?? true,
      });
      return existing.id;
    }
    const id = ctx.random.id('usr');
    const name = resolvedName('', change) || email;
    await insertUser(tx, { id, email, name, password_hash: unusablePassword, created_at: at, email_verified: 1 });
    await recordProvisioned(tx, { orgId: directory.orgId, userId: id, externalId: change.externalId ?? null, createdAccount: true, at });
    await applyChange(ctx, tx, directory, await requireDirectoryUser(tx, directory, id), { ...change, active: change.active ?? true });
    return id;
  }).catch(async (error) => {
    // Two racing creates of one address: the unique constraint decides.
    if (!(error instanceof DomainError) && (await findUserByEmail(ctx.db, email))) {
      throw new ScimInvalid('uniqueness', 'The organization already has a user with this userName.');
    }
    throw error;
  });
  return getScimUser(ctx, directory, userId);
}

export async function replaceScimUser(ctx: Context, directory: Directory, userId: string, body: unknown): Promise<UserResource> {
  const change = changeOfResource(body);
  return changeScimUser(ctx, directory, userId, { ...change, externalId: change.externalId ?? null });
}

export async function patchScimUser(ctx: Context, directory: Directory, userId: string, body: unknown): Promise<UserResource> {
  return changeScimUser(ctx, directory, userId, changeOfPatch(patchOperations(body)));
}

async function changeScimUser(ctx: Context, directory: Directory, userId: string, change: UserChange): Promise<UserResource> {
  await inTransaction(ctx, async (tx) => {
    await lockOrg(tx, directory.orgId);
    const user = await requireDirectoryUser(tx, directory, userId);
    if (!user.provisioned) {
      await recordProvisioned(tx, { orgId: directory.orgId, userId, externalId: null, createdAccount: false, at: ctx.clock.now() });
    }
    await applyChange(ctx, tx, directory, await requireDirectoryUser(tx, directory, userId), change);
  });
  return getScimUser(ctx, directory, userId);
}

async function applyChange(ctx: Context, tx: Db, directory: Directory, user: DirectoryUserRow, change: UserChange): Promise<void> {
  if (change.email !== undefined && change.email !== user.email) {
    // Moving an account to another address would hand it, and its grants elsewhere, to that address.
    throw new ScimInvalid('mutability', 'userName and e-mail cannot be changed through SCIM; create a user with the new address.');
  }
  const name = resolvedName(user.name, change);
  // The person owns an account they made themselves; the directory names only the accounts it created.
  if (name !== user.name && user.provisioned?.createdAccount) {
    await updateUser(tx, user.id, { name });
  }
  if (change.externalId !== undefined) await updateProvisioned(tx, directory.orgId, user.id, { externalId: change.externalId });
  if (change.active === false && user.member) await deprovision(ctx, tx, directory, user.id);
  if (change.active === true && !user.member) await reactivate(ctx, tx, directory, user.id);
}

/**
 * Offboarding on the directory's word: the member's removal (teams, direct grants on the
 * organization's datasets, all recorded with the token as the actor), and when this was their
 * only organization, every session and token of theirs ends too.
 */
async function deprovision(ctx: Context, tx: Db, directory: Directory, userId: string): Promise<void> {
  const signedOut = (await organizationCount(tx, userId)) === 1;
  await takeOutOfOrg(tx, ctx.random, {
    orgId: directory.orgId,
    userId,
    actorId: directory.tokenId,
    at: ctx.clock.now(),
    after: { deprovisioned: true, ...(signedOut ? { signedOut: true } : {}) },
  });
  if (signedOut) {
    await endSessionsOf(tx, userId);
    await deleteAccessTokensOf(tx, userId);
  }
  await updateProvisioned(tx, directory.orgId, userId, { active: false });
}

/** Back as a member; grants revoked when they left are not restored. */
async function reactivate(ctx: Context, tx: Db, directory: Directory, userId: string): Promise<void> {
  const at = ctx.clock.now();
  await addMembership(tx, directory.orgId, userId, 'member', at);
  await recordEvent(tx, ctx.random, {
    orgId: directory.orgId,
    at,
    actorId: directory.tokenId,
    action: 'member.added',
    subject: `user:${userId}`,
    after: { role: 'member', provisioned: true },
  });
  await updateProvisioned(tx, directory.orgId, userId, { active: true });
}

export async function deleteScimUser(ctx: Context, directory: Directory, userId: string): Promise<void> {
  await inTransaction(ctx, async (tx) => {
    const user = await requireDirectoryUser(tx, directory, userId);
    if (user.member) await deprovision(ctx, tx, directory, userId);
    await forgetProvisioned(tx, directory.orgId, userId);
  });
}
