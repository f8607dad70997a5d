import { useEffect, useState } from 'react';
import { ApiError, api, type InvitationLookup, LEVEL_HELP } from '../api';
import { ErrorNote, formatDate, Spinner } from '../components/ui';
import { navigate } from '../router';
import { useSession } from '../session';
import { AuthForm } from './AuthPage';

const DEAD: Record<string, { title: string; text: string }> = {
  expired: {
    title: 'This invitation has expired',
    text: 'Invitations last 72 hours. Ask the person who shared it to extend or resend it; the same link then works again.',
  },
  revoked: {
    title: 'This invitation was withdrawn',
    text: 'The person who sent it revoked it. Ask them to share the dataset with you again if you still need it.',
  },
  accepted: {
    title: 'This invitation has already been used',
    text: 'Each link works once. If you accepted it, log in to find the dataset in your list.',
  },
  declined: { title: 'This invitation was declined', text: 'The link no longer works. Ask the person who shared it to invite you again.' },
};

function DeadLink({ title, text }: { title: string; text: string }) {
  return (
    <div className="card narrow" role="status">
      <h1>{title}</h1>
      <p>{text}</p>
      <button type="button" onClick={() => navigate('/')}>
        Go to Tessera
      </button>
    </div>
  );
}

export function AcceptInvite({ token }: { token: string | null }) {
  const { user, loading, signOut } = useSession();
  const [invitation, setInvitation] = useState<InvitationLookup | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);

  useEffect(() => {
    if (token) api.lookupInvitation(token).then(setInvitation, setError);
  }, [token]);

  async function accept() {
    setError(null);
    try {
      const result = await api.acceptInvitation(token ?? '');
      navigate(result.datasetId ? `/datasets/${result.datasetId}` : `/orgs/${result.orgId}`);
    } catch (caught) {
      setError(caught);
    }
  }

  if (!token || (error instanceof ApiError && error.status === 404 && !invitation)) {
    return (
      <DeadLink
        title="This link does not work"
        text="It is incomplete or was replaced by a newer invitation. Use the newest e-mail, or ask for a new link."
      />
    );
  }
  if (done) return <DeadLink title="Invitation declined" text={done} />;
  if (!invitation || loading) return error ? <ErrorNote error={error} /> : <Spinner />;
  const dead = DEAD[invitation.status];
  if (dead) return <DeadLink {...dead} />;
  if (error instanceof ApiError && error.status === 410) {
    return (
      <DeadLink title={error.code === 'invitation_expired' ? DEAD.expired!.title : 'This invitation cannot be used'} text={error.message} />
    );
  }

  const what = invitation.kind === 'dataset' ? `the dataset “${invitation.datasetName}”` : `the organization ${invitation.orgName}`;
  return (
    <main className="page narrow">
      <section className="card invite">
        <p className="eyebrow">Invitation</p>
        <h1>
          {invitation.invitedBy.name} shared {what} with you
        </h1>
        <p>
          {invitation.kind === 'dataset' ? (
            <>
              In {invitation.orgName}, at level <strong>{invitation.level}</strong>:{' '}
              {invitation.level ? LEVEL_HELP[invitation.level] : null}
            </>
          ) : (
            <>
              You are invited to join as <strong>{invitation.role}</strong>.
            </>
          )}
        </p>
        <p className="muted">
          Sent to {invitation.email} · expires {formatDate(invitation.expiresAt)}
        </p>
        {user ? (
          user.email === invitation.email ? (
            <div className="actions">
              <button
                type="button"
                onClick={() =>
                  void api.declineInvitation(token).then(() => setDone('You declined; the person who sent it will see that.'), setError)
                }
              >
                Decline
              </button>
              <button type="button" className="primary" onClick={() => void accept()}>
                Accept
              </button>
            </div>
          ) : (
            <div className="error" role="alert">
              <p>
                This invitation was sent to <strong>{invitation.email}</strong>, but you are logged in as <strong>{user.email}</strong>.
              </p>
              <button type="button" onClick={() => void signOut()}>
                Log out and continue as {invitation.email}
              </button>
            </div>
          )
        ) : (
          <div className="actions">
            <button
              type="button"
              onClick={() =>
                void api.declineInvitation(token).then(() => setDone('You declined; the person who sent it will see that.'), setError)
              }
            >
              Decline
            </button>
          </div>
        )}
        <ErrorNote error={error} />
      </section>
      {user ? null : <AuthForm initialMode="signup" email={invitation.email} inviteToken={token} onDone={() => void accept()} />}
    </main>
  );
}
