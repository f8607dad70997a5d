import { actingAs } from '../access/scope.js';
import { recordEvent } from '../audit/record.js';
import { DAY } from '../clock.js';
import { type Context, inTransaction } from '../context.js';
import { Conflict, NotFound } from '../errors.js';
import { createOrg, requireName } from '../orgs/orgs.js';
import { hashPassword } from '../secrets.js';
import { addMembership } from '../store/memberships.js';
import { orgsNamed } from '../store/orgs.js';
import { insertUser } from '../store/users.js';
import { issuePasswordReset } from './accounts.js';
import { findUserByEmail, markEmailVerified, type User } from './users.js';
import { requireEmail } from './validation.js';

/** What the operator's command line works with: the database, the clock and the public address. */
export type OperatorContext = Pick<Context, 'db' | 'clock' | 'random' | 'publicUrl'>;

/** An operator's password link lasts a day: long enough to reach the new user by another channel. */
export const OPERATOR_LINK_LIFETIME_MS = DAY;

export interface ProvisionedUser {
  user: User;
  /** The organization the user administers, when asked for, and whether it was created for them. */
  org: { id: string; name: string; created: boolean } | null;
  link: string;
  expiresAt: number;
}

/**
 * Creates a verified account (the operator vouches for the address) whose password nobody knows
 * until the owner sets one through the returned one-time link. With `orgAdmin`, the user becomes
 * admin of the organization of that name, created if there is none.
 */
export async function createVerifiedUser(
  ctx: OperatorContext,
  input: { email: string; name: string; orgAdmin?: string | undefined },
): Promise<ProvisionedUser> {
  const email = requireEmail(input.email);
  const name = requireName(input.name, 'user');
  const orgName = input.orgAdmin === undefined ? undefined : requireName(input.orgAdmin, 'organization');
  if (await findUserByEmail(ctx.db, email)) throw new Conflict('email_taken', `An account with the e-mail ${email} already exists.`);
  const user: User = { id: ctx.random.id('usr'), email, name, emailVerified: true };
  // A random password nobody is told: the account opens only through the reset link.
  const passwordHash = await hashPassword(ctx.random.secret());
  const org = await inTransaction(ctx, async (tx) => {
    await insertUser(tx, { id: user.id, email, name, password_hash: passwordHash, created_at: ctx.clock.now(), email_verified: 1 });
    if (orgName === undefined) return null;
    const existing = await orgsNamed(tx, orgName);
    if (existing.length > 1) {
      throw new Conflict(
        'org_name_ambiguous',
        `${existing.length} organizations are named "${orgName}"; make the user admin in the web app.`,
      );
    }
    const found = existing[0];
    if (!found) return null;
    const at = ctx.clock.now();
    await addMembership(tx, found.id, user.id, 'admin', at);
    await recordEvent(tx, ctx.random, {
      orgId: found.id,
      at,
      actorId: null,
      action: 'member.added',
      subject: `user:${user.id}`,
      after: { role: 'admin' },
    });
    return { ...found, created: false };
  });
  const created = orgName !== undefined && org === null ? await createOrg(ctx, actingAs(user.id), orgName) : null;
  const { link, expiresAt } = await inTransaction(ctx, (tx) => issuePasswordReset(ctx, tx, user.id, OPERATOR_LINK_LIFETIME_MS));
  return { user, org: created ? { ...created, created: true } : org, link, expiresAt };
}

async function requireUserByEmail(ctx: OperatorContext, rawEmail: string): Promise<User> {
  const email = requireEmail(rawEmail);
  const user = await findUserByEmail(ctx.db, email);
  if (!user) throw new NotFound(`An account with the e-mail ${email}`);
  return { id: user.id, email: user.email, name: user.name, emailVerified: user.emailVerified };
}

/** A one-time link that sets a new password for the account with this address. */
export async function operatorResetLink(ctx: OperatorContext, rawEmail: string): Promise<{ user: User; link: string; expiresAt: number }> {
  const user = await requireUserByEmail(ctx, rawEmail);
  return { user, ...(await inTransaction(ctx, (tx) => issuePasswordReset(ctx, tx, user.id, OPERATOR_LINK_LIFETIME_MS))) };
}

/** Marks the address as proved, on the operator's word. */
export async function operatorVerify(ctx: OperatorContext, rawEmail: string): Promise<User> {
  const user = await requireUserByEmail(ctx, rawEmail);
  await markEmailVerified(ctx.db, user.id);
  return { ...user, emailVerified: true };
}
