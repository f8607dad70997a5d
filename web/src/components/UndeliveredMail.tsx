import { useCallback, useEffect, useState } from 'react';
import { request } from '../api';
import { ErrorNote, formatDate, isMissing, plural, useChanges } from './ui';

/** GET /orgs/:orgId/undelivered: an invitation e-mail that has not left yet. */
export interface UndeliveredMailItem {
  id: string;
  invitationId: string;
  invitationKind: 'dataset' | 'org';
  datasetId: string | null;
  email: string;
  status: 'queued' | 'sending' | 'failed';
  attempts: number;
  reason: string | null;
  queuedAt: string;
  nextAttemptAt: string | null;
}

const undeliveredMail = (orgId: string) => request<{ items: UndeliveredMailItem[] }>('GET', `/orgs/${orgId}/undelivered`);
const retryMail = (orgId: string, id: string) => request<UndeliveredMailItem>('POST', `/orgs/${orgId}/undelivered/${id}/retry`);

function stateOf(item: UndeliveredMailItem): string {
  if (item.status === 'sending') return 'being sent';
  if (item.status === 'failed') return `given up after ${plural(item.attempts, 'attempt')}`;
  return item.nextAttemptAt ? `next attempt ${formatDate(item.nextAttemptAt)}` : 'waiting';
}

/** Invitation e-mails of the organization that did not leave, why, and "Retry now" (org admins). Shown only when there are some. */
export function UndeliveredMail({ orgId }: { orgId: string }) {
  const [items, setItems] = useState<UndeliveredMailItem[] | null>(null);
  const changes = useChanges();
  const { notice, error, setError } = changes;
  const load = useCallback(() => undeliveredMail(orgId).then((r) => setItems(r.items), setError), [orgId, setError]);
  useEffect(() => {
    void load();
  }, [load]);
  if (items === null || (items.length === 0 && !notice) || isMissing(error)) return null;
  return (
    <section className="card" aria-labelledby="undelivered-title">
      <h2 id="undelivered-title">Undelivered e-mail</h2>
      <p className="muted">Invitations whose e-mail has not reached the mail server yet. Tessera keeps trying for a day.</p>
      <ErrorNote error={error} />
      {notice ? (
        <p role="status" className="notice">
          {notice}
        </p>
      ) : null}
      {items.length === 0 ? null : (
        <table>
          <thead>
            <tr>
              <th scope="col">To</th>
              <th scope="col">Why</th>
              <th scope="col">State</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((item) => (
              <tr key={item.id}>
                <td>{item.email}</td>
                <td>{item.reason ?? 'not tried yet'}</td>
                <td className="muted">{stateOf(item)}</td>
                <td>
                  <button
                    type="button"
                    disabled={item.status === 'sending'}
                    onClick={() => void changes.act(() => retryMail(orgId, item.id), `Sending to ${item.email} again.`, load)}
                  >
                    Retry now
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
