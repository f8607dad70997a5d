import { levelOf } from '../access/levels.js';
import { HOUR, iso } from '../clock.js';
import { appLink, type Context } from '../context.js';
import type { InvitationRecord, InvitationWithInviter } from '../store/invitations.js';

export const INVITATION_LIFETIME_MS = 72 * HOUR;

export type InvitationRow = InvitationRecord;
export type InvitationStatus = 'pending' | 'accepted' | 'declined' | 'revoked' | 'expired';

/** "expired" is read off the clock, never written by a background job. */
export function statusOf(row: Pick<InvitationRow, 'status' | 'expires_at'>, now: number): InvitationStatus {
  return row.status === 'pending' && row.expires_at <= now ? 'expired' : row.status;
}

export function inviteLink(ctx: Context, token: string): string {
  return appLink(ctx, `/invite#token=${token}`);
}

export function invitationView(row: InvitationWithInviter, now: number) {
  return {
    id: row.id,
    kind: row.kind,
    ...(row.dataset_id ? { datasetId: row.dataset_id } : {}),
    orgId: row.org_id,
    email: row.email,
    ...(row.level !== null ? { level: levelOf(row.level) ?? 'read' } : {}),
    ...(row.role !== null ? { role: row.role } : {}),
    status: statusOf(row, now),
    expiresAt: iso(row.expires_at),
    invitedBy: { id: row.invited_by, name: row.inviter_name ?? '' },
    createdAt: iso(row.created_at),
    acceptedAt: iso(row.accepted_at),
    delivery: row.delivery,
    ...(row.last_error ? { lastError: row.last_error } : {}),
  };
}

export type InvitationView = ReturnType<typeof invitationView>;
