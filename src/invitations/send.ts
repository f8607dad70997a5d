import { authorizeDatasetAction, authorizeOrgAction } from '../access/authorize.js';
import { type Level, levelOf, type OrgRole, rankOf, type Visibility } from '../access/levels.js';
import { tierAdmitsDirectGrant } from '../access/policy.js';
import type { Actor } from '../access/scope.js';
import { isValidEmail, normalizeEmail, showUnseen } from '../accounts/validation.js';
import { recordEvent } from '../audit/record.js';
import { HOUR, iso } from '../clock.js';
import { type Context, inTransaction } from '../context.js';
import { Conflict, InvalidRequest, RateLimited } from '../errors.js';
import type { MailMessage } from '../mail/mailer.js';
import { queueMail } from '../mail/outbox.js';
import { datasetInvitationMail, invitationExtendedMail, orgInvitationMail } from '../mail/templates.js';
import { hashSecret } from '../secrets.js';
import { mailSentOnWordOf } from '../store/audit.js';
import type { Db } from '../store/database.js';
import { datasetName, datasetNameOf } from '../store/datasets.js';
import { findPendingInvitation, insertInvitation, invitationsWithInviter, replaceInvitation } from '../store/invitations.js';
import { memberEmailsAmong } from '../store/memberships.js';
import { orgName } from '../store/orgs.js';
import { userName } from '../store/users.js';
import { INVITATION_LIFETIME_MS, type InvitationRow, type InvitationView, invitationView, inviteLink } from './model.js';

/** Addresses one inviter may send to per rolling hour, so Tessera cannot be used to spam. */
export const INVITATIONS_PER_HOUR = 200;

/** Normalizes and de-duplicates (a full-width address is the plain one); one malformed address fails the whole request. */
export function normalizeAddresses(raw: string[]): string[] {
  const emails = [...new Set(raw.map(normalizeEmail))];
  const invalid = emails.filter((e) => !isValidEmail(e));
  if (invalid.length > 0) {
    throw new InvalidRequest(`Not a valid e-mail address: ${invalid.map(showUnseen).join(', ')}.`, { invalidEmails: invalid });
  }
  if (emails.length === 0) throw new InvalidRequest('Give at least one e-mail address.');
  return emails;
}

export async function assertWithinSendLimit(tx: Db, inviterId: string, count: number, now: number): Promise<void> {
  const sent = await mailSentOnWordOf(tx, inviterId, now - HOUR);
  if (sent.count + count > INVITATIONS_PER_HOUR) {
    const retryAfter = Math.max(1, Math.ceil(((sent.oldest ?? now) + HOUR - now) / 1000));
    throw new RateLimited(
      `You can send at most ${INVITATIONS_PER_HOUR} invitations and grant notices an hour. Try again later.`,
      retryAfter,
    );
  }
}

interface Offer {
  kind: 'dataset' | 'org';
  orgId: string;
  datasetId: string | null;
  level: number | null;
  role: OrgRole | null;
}

/**
 * Writes one pending invitation per address, replacing a pending one for the same address
 * and target (its old link dies with its old hash). Returns the rows and their fresh secrets.
 */
async function writeInvitations(
  ctx: Context,
  tx: Db,
  inviterId: string,
  offer: Offer,
  emails: string[],
): Promise<{ row: InvitationRow; token: string }[]> {
  const now = ctx.clock.now();
  await assertWithinSendLimit(tx, inviterId, emails.length, now);
  const written: { row: InvitationRow; token: string }[] = [];
  for (const email of emails) {
    const replaced = await findPendingInvitation(tx, { kind: offer.kind, orgId: offer.orgId, datasetId: offer.datasetId, email });
    const token = ctx.random.secret();
    const row: InvitationRow = {
      id: replaced?.id ?? ctx.random.id('inv'),
      kind: offer.kind,
      org_id: offer.orgId,
      dataset_id: offer.datasetId,
      email,
      level: offer.level,
      role: offer.role,
      token_hash: hashSecret(token),
      status: 'pending',
      expires_at: now + INVITATION_LIFETIME_MS,
      invited_by: inviterId,
      created_at: now,
      accepted_at: null,
      accepted_by: null,
      delivery: 'queued',
      last_error: null,
    };
    if (replaced) await replaceInvitation(tx, row);
    else await insertInvitation(tx, row);
    await recordEvent(tx, ctx.random, {
      orgId: offer.orgId,
      at: now,
      actorId: inviterId,
      action: 'invitation.created',
      datasetId: offer.datasetId,
      subject: `invitation:${row.id}`,
      before: replaced ? { email, level: levelOf(replaced.level ?? 0), role: replaced.role, replaced: true } : undefined,
      after: { email, level: levelOf(offer.level ?? 0), role: offer.role, expiresAt: iso(row.expires_at) },
    });
    written.push({ row, token });
  }
  return written;
}

/** Composes the e-mail for an invitation row and the secret of its current link. */
async function invitationMail(ctx: Context, tx: Db, row: InvitationRow, token: string): Promise<MailMessage> {
  const inviter = await userName(tx, row.invited_by);
  const inviterName = inviter?.name ?? 'Someone';
  const org = await orgName(tx, row.org_id);
  const link = inviteLink(ctx, token);
  if (row.kind === 'org') {
    return orgInvitationMail({ to: row.email, inviterName, orgName: org, role: row.role ?? 'member', link, expiresAt: row.expires_at });
  }
  return datasetInvitationMail({
    to: row.email,
    inviterName,
    datasetName: await datasetNameOf(tx, row.dataset_id!),
    orgName: org,
    level: levelOf(row.level ?? 1) ?? 'read',
    link,
    expiresAt: row.expires_at,
  });
}

/** Queues the notice that an invitation now ends later, in the transaction that extended it. */
export async function mailExtension(ctx: Context, tx: Db, row: InvitationRow, extenderId: string, expiresAt: number): Promise<void> {
  const extender = await userName(tx, extenderId);
  const dataset = row.kind === 'dataset' ? await datasetName(tx, row.dataset_id!) : undefined;
  const notice = invitationExtendedMail({
    to: row.email,
    extenderName: extender?.name ?? 'Someone',
    datasetName: dataset?.name ?? null,
    orgName: await orgName(tx, row.org_id),
    expiresAt,
  });
  // Not tied to the invitation's own delivery: that follows the e-mail that carries the link.
  await queueMail(ctx, tx, notice, { orgId: row.org_id });
}

/**
 * Queues each invitation's e-mail in the transaction that wrote it; the invitation's `delivery`
 * follows its message (queued → sent | failed) and tells the inviter how it went.
 */
export async function mailInvitations(ctx: Context, tx: Db, written: { row: InvitationRow; token: string }[]): Promise<void> {
  for (const { row, token } of written) {
    await queueMail(ctx, tx, await invitationMail(ctx, tx, row, token), { orgId: row.org_id, invitationId: row.id });
  }
}

export async function viewsOf(ctx: Context, ids: string[]): Promise<InvitationView[]> {
  const rows = await invitationsWithInviter(ctx.db, ids);
  const byId = new Map(rows.map((r) => [r.id, r]));
  const now = ctx.clock.now();
  return ids.map((id) => invitationView(byId.get(id)!, now));
}

/**
 * While a dataset is not shared with external accessors only members of its organization may be
 * invited to it (or sent a link again): 409 `external_sharing_disabled` naming the others.
 */
export async function assertInvitable(tx: Db, dataset: { org_id: string; visibility: Visibility }, emails: string[]): Promise<void> {
  if (tierAdmitsDirectGrant(false, dataset.visibility)) return;
  const memberEmails = new Set(await memberEmailsAmong(tx, dataset.org_id, emails));
  const outsiders = emails.filter((e) => !tierAdmitsDirectGrant(memberEmails.has(e), dataset.visibility));
  if (outsiders.length > 0) {
    throw new Conflict(
      'external_sharing_disabled',
      `This dataset is not shared with external accessors, so only organization members can be invited. Not members: ${outsiders.join(', ')}.`,
      { emails: outsiders },
    );
  }
}

export async function inviteToDataset(
  ctx: Context,
  inviter: Actor,
  datasetId: string,
  input: { emails: string[]; level: Level },
): Promise<InvitationView[]> {
  const emails = normalizeAddresses(input.emails);
  const written = await inTransaction(ctx, async (tx) => {
    const { dataset } = await authorizeDatasetAction(tx, inviter, datasetId, 'dataset.share', ctx.clock.now());
    await assertInvitable(tx, dataset, emails);
    const rows = await writeInvitations(
      ctx,
      tx,
      inviter.id,
      { kind: 'dataset', orgId: dataset.org_id, datasetId, level: rankOf(input.level), role: null },
      emails,
    );
    await mailInvitations(ctx, tx, rows);
    return rows;
  });
  return viewsOf(
    ctx,
    written.map((w) => w.row.id),
  );
}

export async function inviteToOrg(
  ctx: Context,
  inviter: Actor,
  orgId: string,
  input: { emails: string[]; role: OrgRole },
): Promise<InvitationView[]> {
  const emails = normalizeAddresses(input.emails);
  const written = await inTransaction(ctx, async (tx) => {
    await authorizeOrgAction(tx, inviter, orgId, 'org.manageInvitations');
    const already = await memberEmailsAmong(tx, orgId, emails);
    if (already.length > 0) {
      throw new Conflict('already_member', `Already members of the organization: ${already.join(', ')}.`, { emails: already });
    }
    const rows = await writeInvitations(
      ctx,
      tx,
      inviter.id,
      { kind: 'org', orgId, datasetId: null, level: null, role: input.role },
      emails,
    );
    await mailInvitations(ctx, tx, rows);
    return rows;
  });
  return viewsOf(
    ctx,
    written.map((w) => w.row.id),
  );
}
