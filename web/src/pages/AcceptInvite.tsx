import { useQuery } from '@tanstack/react-query';
import { useNavigate } from '@tanstack/react-router';
import { type ReactNode, useEffect, useState } from 'react';
import { ApiError, api, type InvitationLookup, LEVEL_HELP } from '../api';
import { keepLinkForSignIn } from '../components/SingleSignOn';
import { ErrorNote, Spinner, useTitle } from '../components/ui';
import { levelLabel } from '../levels';
import { queries } from '../queries';
import { useSession } from '../session';
import { formatDate, timeLeft } from '../time';
import { AuthForm } from './AuthPage';

interface Dead {
  title: string;
  text: string;
}

const DEAD: Record<string, Dead> = {
  expired: {
    title: 'This invitation has expired',
    text: 'Invitations last 72 hours. Ask the person who shared it to extend or resend it; after an extension the same link works again.',
  },
  revoked: {
    title: 'This invitation was withdrawn',
    text: 'The person who sent it revoked it. Ask them to share the dataset with you again if you still need it.',
  },
  accepted: {
    title: 'This invitation has already been used',
    text: 'Each link works once. If you accepted it, log in: the dataset is in your list. If your access was taken away, ask the person who shared it.',
  },
  declined: {
    title: 'This invitation was declined',
    text: 'The link no longer works. If that was a mistake, ask the person who shared it to invite you again.',
  },
  unknown: {
    title: 'This link does not work',
    text: 'It is incomplete, or a newer invitation replaced it. Use the newest e-mail you received, or ask for a new link.',
  },
  external_sharing_disabled: {
    title: 'Sharing outside the organization is switched off',
    text: 'Since you were invited, this dataset stopped being shared with people outside its organization. Ask the person who shared it.',
  },
};

const REFUSALS: Record<string, string> = {
  invitation_expired: 'expired',
  invitation_revoked: 'revoked',
  invitation_used: 'accepted',
  invitation_declined: 'declined',
  external_sharing_disabled: 'external_sharing_disabled',
};

function DeadLink({ title, text, about, children }: Dead & { about?: InvitationLookup; children?: ReactNode }) {
  const navigate = useNavigate();
  return (
    <main className="page narrow">
      <section className="card dead-link" aria-labelledby="dead-title">
        <p className="eyebrow">Invitation</p>
        <h1 id="dead-title">{title}</h1>
        {about ? (
          <p className="muted">
            {about.invitedBy.name} invited {about.email} to {about.kind === 'dataset' ? `the dataset “${about.datasetName}” in ` : ''}
            {about.orgName}.
          </p>
        ) : null}
        <p>{text}</p>
        <div className="actions">
          {children}
          <button type="button" onClick={() => navigate({ to: '/' })}>
            Go to Tessera
          </button>
        </div>
      </section>
    </main>
  );
}

const sameAddress = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

/** The page an invitation link opens: what was shared, by whom, at which level; accept, sign up or decline in place. */
export function AcceptInvite({ token }: { token: string | null }) {
  const navigate = useNavigate();
  const { user, loading, signOut } = useSession();
  // The page is keyed by its token (see routes.tsx): a new link in the same tab is a new page.
  const lookup = useQuery({ ...queries.invitation(token ?? ''), enabled: token !== null });
  const invitation = lookup.data ?? null;
  const [failure, setError] = useState<unknown>(null);
  const error = failure ?? lookup.error;
  const [declined, setDeclined] = useState(false);
  useTitle('Invitation');

  // An invitation already accepted by this person opens what it shared, if their access still stands.
  const mine = user !== null && invitation !== null && sameAddress(user.email, invitation.email);
  const reopen = mine && invitation?.status === 'accepted';

  async function accept() {
    setError(null);
    try {
      const result = await api.acceptInvitation(token ?? '');
      void navigate(
        result.datasetId ? { to: '/datasets/$id', params: { id: result.datasetId } } : { to: '/orgs/$id', params: { id: result.orgId } },
      );
    } catch (caught) {
      setError(caught);
    }
  }
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs once, when the page learns that the invitation was accepted.
  useEffect(() => {
    if (reopen) void accept();
  }, [reopen]);
  async function decline() {
    setError(null);
    try {
      await api.declineInvitation(token ?? '');
      setDeclined(true);
    } catch (caught) {
      setError(caught);
    }
  }

  if (!token || (error instanceof ApiError && error.status === 404 && !invitation)) return <DeadLink {...DEAD.unknown!} />;
  if (declined) {
    return <DeadLink title="Invitation declined" text="The link no longer works, and the person who sent it can see that you declined." />;
  }
  if (!invitation || loading) return <main className="page narrow">{error ? <ErrorNote error={error} /> : <Spinner />}</main>;

  if (reopen) {
    // Accepting again while the access stands changes nothing and opens it; otherwise the access was taken away.
    if (!(error instanceof ApiError && error.code === 'invitation_used'))
      return <main className="page narrow">{error ? <ErrorNote error={error} /> : <Spinner label="Opening…" />}</main>;
    return invitation.kind === 'dataset' ? (
      <DeadLink
        title="Your access to this dataset was removed"
        text="You accepted this invitation, but your access has since ended. Ask the person who shared it if you still need it."
        about={invitation}
      />
    ) : (
      <DeadLink
        title="You are no longer a member of this organization"
        text="You accepted this invitation, but your membership has since ended. Ask an admin of the organization if you still need it."
        about={invitation}
      />
    );
  }
  const refused = error instanceof ApiError ? REFUSALS[error.code] : undefined;
  if (refused) return <DeadLink {...DEAD[refused]!} about={invitation} />;
  const dead = DEAD[invitation.status];
  if (dead) return <DeadLink {...dead} about={invitation} />;

  const what = invitation.kind === 'dataset' ? `the dataset “${invitation.datasetName}”` : `the organization ${invitation.orgName}`;
  const mismatch = user !== null && !mine;
  return (
    <main className="page narrow">
      <section className="card invite" aria-labelledby="invite-title">
        <p className="eyebrow">Invitation</p>
        <h1 id="invite-title">
          {invitation.kind === 'dataset'
            ? `${invitation.invitedBy.name} shared ${what} with you`
            : `${invitation.invitedBy.name} invited you to ${what}`}
        </h1>
        <p>
          {invitation.kind === 'dataset' && invitation.level ? (
            <>
              In {invitation.orgName}, at level <strong>{levelLabel(invitation.level)}</strong>: {LEVEL_HELP[invitation.level]}
            </>
          ) : (
            <>
              You are invited to join as <strong>{invitation.role}</strong>.
            </>
          )}
        </p>
        <p className="muted">
          Sent to <strong>{invitation.email}</strong> · expires {formatDate(invitation.expiresAt)} ({timeLeft(invitation.expiresAt)})
        </p>
        {mismatch ? (
          <div className="error" role="alert">
            <p>
              This invitation was sent to <strong>{invitation.email}</strong>, but you are logged in as <strong>{user.email}</strong>. Only{' '}
              {invitation.email} can accept it.
            </p>
            <button type="button" onClick={() => void signOut()}>
              Log out and continue as {invitation.email}
            </button>
          </div>
        ) : null}
        <ErrorNote error={error} />
        {mismatch ? null : (
          <div className="actions">
            <button type="button" onClick={() => void decline()}>
              Decline
            </button>
            {mine ? (
              <button type="button" className="primary" onClick={() => void accept()}>
                Accept
              </button>
            ) : null}
          </div>
        )}
      </section>
      {user ? null : (
        <AuthForm
          initialMode={invitation.accountExists ? 'login' : 'signup'}
          email={invitation.email}
          inviteToken={token}
          intro={
            invitation.accountExists
              ? 'This address already has an account: log in to accept. You go straight to it afterwards.'
              : 'Create an account with the invited address, or log in if you have one. You go straight to it afterwards.'
          }
          onDone={() => void accept()}
          returnTo="/invite"
          beforeSignIn={() => keepLinkForSignIn('/invite', token)}
        />
      )}
    </main>
  );
}
