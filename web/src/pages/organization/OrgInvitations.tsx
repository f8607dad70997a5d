import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, type Invitation } from '../../api';
import { InvitationList } from '../../components/InvitationList';
import { Confirm, ErrorNote, Notice, Spinner, useChanges } from '../../components/ui';
import { keys, queries } from '../../queries';

/** The organization's open invitations to join, with what an admin can do about each. */
export function OrgInvitations({ orgId }: { orgId: string }) {
  const queryClient = useQueryClient();
  const answer = useQuery(queries.orgInvitations(orgId));
  const invitations = answer.data?.items ?? null;
  const changes = useChanges();
  const { notice } = changes;
  const error = changes.error ?? answer.error;
  const [revoking, setRevoking] = useState<Invitation | null>(null);
  const act = (run: () => Promise<unknown>, done: string) =>
    changes.act(run, done, () => queryClient.invalidateQueries({ queryKey: keys.org(orgId) }));
  return (
    <section className="card" aria-labelledby="invitations-title">
      <h2 id="invitations-title">Invitations</h2>
      <ErrorNote error={error} />
      <Notice text={notice} />
      {invitations === null ? (
        <Spinner />
      ) : (
        <InvitationList
          invitations={invitations}
          onExtend={(i) =>
            void act(() => api.extendInvitation(i.id), `The invitation to ${i.email} now lasts 72 more hours; the same link works.`)
          }
          onResend={(i) =>
            void act(() => api.resendInvitation(i.id), `A new link is on its way to ${i.email}; the old one no longer works.`)
          }
          onRevoke={(i) => setRevoking(i)}
          onQueued={() => void answer.refetch()}
        />
      )}
      {revoking ? (
        <Confirm
          title="Please confirm"
          confirmLabel="Revoke"
          onClose={() => setRevoking(null)}
          onConfirm={() => void act(() => api.revokeInvitation(revoking.id), `The invitation to ${revoking.email} is revoked.`)}
        >
          <p>Revoke the invitation to {revoking.email}? Its link stops working at once.</p>
        </Confirm>
      ) : null}
    </section>
  );
}
