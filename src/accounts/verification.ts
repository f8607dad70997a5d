import { DAY } from '../clock.js';
import { appLink, type Context, inTransaction } from '../context.js';
import { Gone, Unauthenticated } from '../errors.js';
import { queueMail } from '../mail/outbox.js';
import { verificationMail } from '../mail/templates.js';
import { hashSecret } from '../secrets.js';
import type { Db } from '../store/database.js';
import { liveLinkOwner, replaceUnusedLink, useLink } from '../store/one-time-links.js';
import { authEvent } from './events.js';
import { spend, spendForAddress, VERIFICATION_MAILS_OF_ACCOUNT } from './limits.js';
import { markEmailVerified, type User } from './users.js';
import { isCanonicalEmail } from './validation.js';

const VERIFICATION_LIFETIME_MS = DAY;

/** Queues a new verification link in `tx`; every older unused link of the account dies. */
export async function sendVerification(ctx: Context, tx: Db, user: User): Promise<void> {
  const now = ctx.clock.now();
  const token = ctx.random.secret();
  const expiresAt = now + VERIFICATION_LIFETIME_MS;
  await replaceUnusedLink(tx, 'email_verifications', { tokenHash: hashSecret(token), userId: user.id, expiresAt, at: now });
  await queueMail(ctx, tx, verificationMail(user.email, appLink(ctx, `/verify#token=${token}`), expiresAt));
}

/**
 * The link proves the mailbox only together with the account's password: it verifies only for
 * the logged-in owner of that account. A link of another account is refused without being used,
 * so the owner of a mailbox who clicks a squatter's link while logged in as themselves does not
 * verify the squatter.
 */
export async function verifyEmail(ctx: Context, user: User, token: string, callerAddress: string): Promise<void> {
  await inTransaction(ctx, async (tx) => {
    const now = ctx.clock.now();
    const row = await liveLinkOwner(tx, 'email_verifications', hashSecret(token), now);
    if (!row) throw new Gone('verification_token_invalid', 'This verification link is used, expired or unknown. Ask for a new one.');
    if (row.user_id !== user.id) {
      authEvent(ctx, 'email.verify', { userId: user.id, outcome: 'wrong_account', ip: callerAddress });
      throw new Unauthenticated('This link confirms another account. Log in as the account it was sent for.', 'verification_wrong_account');
    }
    if (!(await useLink(tx, 'email_verifications', hashSecret(token), now))) {
      throw new Gone('verification_token_invalid', 'This verification link is used, expired or unknown. Ask for a new one.');
    }
    await markEmailVerified(tx, user.id);
  });
  authEvent(ctx, 'email.verify', { userId: user.id, outcome: 'verified', ip: callerAddress });
}

/** A new link for the logged-in account (nothing is sent once the address is verified). */
export async function resendVerification(ctx: Context, user: User, callerAddress: string): Promise<void> {
  await spendForAddress(ctx, 'verificationResend', callerAddress);
  if (user.emailVerified) return;
  // An address stored before addresses were normalized can look like another person's, and mail
  // to it reaches that person: a stranger's account must not send them links.
  if (!isCanonicalEmail(user.email)) {
    authEvent(ctx, 'email.verification_sent', { userId: user.id, outcome: 'look_alike_address', ip: callerAddress });
    return;
  }
  await spend(ctx, `verification-mails:${user.id}`, VERIFICATION_MAILS_OF_ACCOUNT, callerAddress);
  await inTransaction(ctx, (tx) => sendVerification(ctx, tx, user));
  authEvent(ctx, 'email.verification_sent', { userId: user.id, outcome: 'mailed', ip: callerAddress });
}
