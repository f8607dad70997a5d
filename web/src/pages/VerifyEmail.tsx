import { useNavigate } from '@tanstack/react-router';
import { useEffect, useRef, useState } from 'react';
import { ApiError, accountApi } from '../api';
import { ResendVerification } from '../components/Identity';
import { errorText, Spinner, useTitle } from '../components/ui';
import { useSession } from '../session';
import { AuthForm } from './AuthPage';

type Outcome =
  | { kind: 'verifying' }
  | { kind: 'verified' }
  | { kind: 'gone' }
  | { kind: 'other-account' }
  | { kind: 'failed'; error: unknown };

/**
 * The link from the verification e-mail. It proves the address only together with the
 * account's password, so a visitor who is not logged in logs in first; the token stays in
 * the fragment meanwhile, since the page never navigates away.
 */
export function VerifyEmail({ token }: { token: string | null }) {
  const navigate = useNavigate();
  const { user, loading } = useSession();
  useTitle('Confirm your e-mail address');
  if (loading) return <Spinner />;
  if (!token) {
    return (
      <main className="page narrow">
        <section className="card dead-link">
          <h1>This link is incomplete</h1>
          <p>Open the link from the e-mail exactly as it was sent, or ask for a new one from your account page.</p>
          <button type="button" className="primary" onClick={() => navigate({ to: '/account' })}>
            Go to my account
          </button>
        </section>
      </main>
    );
  }
  if (!user) {
    return (
      <main className="page narrow verify">
        <section className="card">
          <p className="eyebrow">Confirm your e-mail address</p>
          <h1>Log in to confirm your address</h1>
          <p>
            The link proves that the mailbox is yours; logging in proves that the account is. Log in as the account the link was sent to,
            and the address is confirmed right away.
          </p>
        </section>
        <AuthForm canSignUp={false} />
      </main>
    );
  }
  return <Confirmation key={`${user.id}:${token}`} token={token} />;
}

function Confirmation({ token }: { token: string }) {
  const navigate = useNavigate();
  const { user, refresh, signOut } = useSession();
  const [outcome, setOutcome] = useState<Outcome>({ kind: 'verifying' });
  // The link works once: a second effect run (development's strict mode) must not spend it again.
  const started = useRef(false);
  useEffect(() => {
    if (started.current) return;
    started.current = true;
    accountApi
      .verifyEmail(token)
      .then(async () => {
        setOutcome({ kind: 'verified' });
        await refresh();
      })
      .catch((error: unknown) => {
        if (error instanceof ApiError && error.status === 410) setOutcome({ kind: 'gone' });
        else if (error instanceof ApiError && (error.status === 401 || error.code === 'verification_wrong_account'))
          setOutcome({ kind: 'other-account' });
        else setOutcome({ kind: 'failed', error });
      });
  }, [token, refresh]);

  const email = user?.email ?? '';
  return (
    <main className="page narrow verify">
      <section className="card dead-link" aria-live="polite">
        <p className="eyebrow">Confirm your e-mail address</p>
        {outcome.kind === 'verifying' ? <Spinner label="Confirming your address…" /> : null}
        {outcome.kind === 'verified' ? (
          <>
            <h1>Your address is confirmed</h1>
            <p>
              <strong>{email}</strong> is proved to be yours. You can now create access tokens for scripts.
            </p>
            <div className="toolbar wrap">
              <button type="button" className="primary" onClick={() => navigate({ to: '/' })}>
                Go to my datasets
              </button>
              <button type="button" onClick={() => navigate({ to: '/account' })}>
                My account
              </button>
            </div>
          </>
        ) : null}
        {outcome.kind === 'gone' && user?.emailVerified ? (
          <>
            <h1>Your address is already confirmed</h1>
            <p>This link is used or expired, but nothing is left to do: {email} is confirmed.</p>
            <button type="button" className="primary" onClick={() => navigate({ to: '/' })}>
              Go to my datasets
            </button>
          </>
        ) : null}
        {outcome.kind === 'gone' && !user?.emailVerified ? (
          <>
            <h1>This link no longer works</h1>
            <p>
              It is used, expired (links last 24 hours) or was replaced by a newer one. Send a new link to <strong>{email}</strong> and open
              the newest e-mail.
            </p>
            <ResendVerification label="Send a new link" />
          </>
        ) : null}
        {outcome.kind === 'other-account' ? (
          <>
            <h1>This link is for another account</h1>
            <p>
              You are logged in as <strong>{email}</strong>, but the link was sent to a different account. It confirms an address only for
              the account it was sent to: log out, then log in as that account.
            </p>
            <button type="button" className="primary" onClick={() => void signOut()}>
              Log out and log in as the other account
            </button>
          </>
        ) : null}
        {outcome.kind === 'failed' ? (
          <>
            <h1>Your address could not be confirmed</h1>
            <p className="error" role="alert">
              {errorText(outcome.error)}
            </p>
            <button type="button" className="primary" onClick={() => window.location.reload()}>
              Try again
            </button>
          </>
        ) : null}
      </section>
    </main>
  );
}
