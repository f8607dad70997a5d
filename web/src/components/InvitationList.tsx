import { useEffect, useRef } from 'react';
import type { Invitation } from '../api';
import { levelLabel } from '../levels';
import { formatDate, TableHeader, until } from './ui';

const DELIVERY = { queued: 'e-mail queued', sent: 'e-mail sent', failed: 'e-mail failed' } as const;

/** Open invitations of a dataset or an organization: status, time left, whether the e-mail really left, and what can be done. */
export function InvitationList({
  invitations,
  onExtend,
  onResend,
  onRevoke,
  onQueued,
}: {
  invitations: Invitation[];
  onExtend(invitation: Invitation): void;
  onResend(invitation: Invitation): void;
  onRevoke(invitation: Invitation): void;
  /** Asked to reload while an e-mail is queued, so "queued" turns into "sent" (or "failed") in place. */
  onQueued?(): void;
}) {
  const queued = invitations.some((i) => i.status === 'pending' && i.delivery === 'queued');
  const reload = useRef(onQueued);
  reload.current = onQueued;
  const attempts = useRef(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: each new list (after a reload) schedules the next look.
  useEffect(() => {
    if (!queued) {
      attempts.current = 0;
      return;
    }
    const timer = setTimeout(() => reload.current?.(), Math.min(2000 * 2 ** attempts.current++, 30_000));
    return () => clearTimeout(timer);
  }, [queued, invitations]);
  return (
    <>
      {invitations.length === 0 ? (
        <p className="muted">No open invitations.</p>
      ) : (
        <table>
          <TableHeader columns={['Invited', 'Status', 'E-mail', 'actions']} />
          <tbody>
            {invitations.map((i) => (
              <tr key={i.id}>
                <td>
                  <strong>{i.email}</strong>
                  <div className="muted">
                    {i.level ? levelLabel(i.level) : `as ${i.role ?? 'member'}`} · invited by {i.invitedBy.name} on{' '}
                    {formatDate(i.createdAt)}
                  </div>
                </td>
                <td>
                  <span className={`chip status-${i.status}`}>{i.status}</span>
                  {i.status === 'pending' ? <div className="muted">{until(i.expiresAt)}</div> : null}
                  {i.status === 'expired' ? <div className="muted">since {formatDate(i.expiresAt)}</div> : null}
                  {i.status === 'accepted' && i.acceptedAt ? <div className="muted">on {formatDate(i.acceptedAt)}</div> : null}
                </td>
                <td>
                  <span className={`chip delivery-${i.delivery}`}>{DELIVERY[i.delivery]}</span>
                  {i.delivery === 'failed' && i.lastError ? <div className="muted small">{i.lastError}</div> : null}
                </td>
                <td>
                  {i.status === 'pending' || i.status === 'expired' ? (
                    <div className="row-actions">
                      <button type="button" onClick={() => onExtend(i)}>
                        Extend
                      </button>
                      <button type="button" onClick={() => onResend(i)}>
                        Resend
                      </button>
                      <button type="button" className="danger" onClick={() => onRevoke(i)}>
                        Revoke
                      </button>
                    </div>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
