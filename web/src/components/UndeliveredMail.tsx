import { useQuery, useQueryClient } from '@tanstack/react-query';
import { ApiError, cancellable, request } from '../api';
import type { components } from '../generated/api';
import { keys } from '../queries';
import { lookAgainIn } from '../time';
import { ErrorNote, formatDate, Notice, plural, TableHeader, useChanges } from './ui';

/** GET /orgs/:orgId/undelivered: an invitation e-mail that has not left yet, as the document names it. */
type UndeliveredMailItem = components['schemas']['UndeliveredMail'];

const undeliveredMail = (orgId: string) => request<{ items: UndeliveredMailItem[] }>('GET', `/orgs/${orgId}/undelivered`);
const retryMail = (orgId: string, id: string) => request<UndeliveredMailItem>('POST', `/orgs/${orgId}/undelivered/${id}/retry`);

/**
 * "Retry now", or null when the message is no longer waiting: it left (or its invitation was
 * withdrawn) since the list was shown, which is no error of the admin's. A refusal of the admin
 * (the list refused too) stays an error.
 */
async function retryIfWaiting(orgId: string, id: string): Promise<UndeliveredMailItem | null> {
  try {
    return await retryMail(orgId, id);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404 && !(await undeliveredMail(orgId)).items.some((item) => item.id === id))
      return null;
    throw error;
  }
}

/** An undelivered e-mail as something on its way out (lookAgainIn). */
const outgoing = (item: UndeliveredMailItem) => ({ sending: item.status === 'sending', dueAt: item.nextAttemptAt });

function stateOf(item: UndeliveredMailItem): string {
  if (item.status === 'sending') return 'being sent';
  if (item.status === 'failed') return `given up after ${plural(item.attempts, 'attempt')}`;
  return item.nextAttemptAt ? `next attempt ${formatDate(item.nextAttemptAt)}` : 'waiting';
}

/** Invitation e-mails of the organization that did not leave, why, and "Retry now" (org admins). Shown only when there are some. */
export function UndeliveredMail({ orgId }: { orgId: string }) {
  const queryClient = useQueryClient();
  const list = useQuery({
    queryKey: keys.undelivered(orgId),
    queryFn: ({ signal }) => cancellable(signal, () => undeliveredMail(orgId)),
    refetchInterval: (query) => lookAgainIn((query.state.data?.items ?? []).map(outgoing), 2_000),
  });
  const items = list.data?.items ?? null;
  const changes = useChanges();
  const { notice } = changes;
  const error = changes.error ?? list.error;
  const load = () => queryClient.invalidateQueries({ queryKey: keys.org(orgId) });
  if (items === null || (items.length === 0 && !notice)) return null;
  return (
    <section className="card" aria-labelledby="undelivered-title">
      <h2 id="undelivered-title">Undelivered e-mail</h2>
      <p className="muted">Invitations whose e-mail has not reached the mail server yet. Tessera keeps trying for a day.</p>
      <ErrorNote error={error} />
      <Notice text={notice} />
      {items.length === 0 ? null : (
        <table>
          <TableHeader columns={['To', 'Why', 'State', 'actions']} />
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
                    onClick={() =>
                      void changes.act(
                        () => retryIfWaiting(orgId, item.id),
                        (retried) =>
                          retried ? `Sending to ${item.email} again.` : `The e-mail to ${item.email} is no longer waiting to be sent.`,
                        load,
                      )
                    }
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
