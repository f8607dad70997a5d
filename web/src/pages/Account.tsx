import { type FormEvent, useState } from 'react';
import { ApiError, accountApi } from '../api';
import { AccessTokens } from '../components/AccessTokens';
import { passwordProblem } from '../components/Identity';
import { Sessions } from '../components/Sessions';
import { SsoLinkCard, useSsoLink } from '../components/SingleSignOn';
import { ErrorNote, Field, useTitle } from '../components/ui';
import { useSession } from '../session';

/** The account of the logged-in user: who they are, their password, where they are logged in, their tokens. */
export function Account() {
  const { user } = useSession();
  useTitle('My account');
  const [sessionsVersion, setSessionsVersion] = useState(0);
  const [link, setLink] = useSsoLink();
  if (!user) return null;
  return (
    <main className="page account">
      <header className="page-header">
        <div>
          <h1>My account</h1>
          <p className="muted">Your profile, password, the devices you are logged in on and the tokens your scripts use.</p>
        </div>
      </header>
      <section className="card" aria-labelledby="profile-title">
        <h2 id="profile-title">Profile</h2>
        <dl className="facts">
          <dt>Name</dt>
          <dd>{user.name}</dd>
          <dt>E-mail</dt>
          <dd className="email">{user.email}</dd>
          <dt>Address</dt>
          <dd>
            {user.emailVerified ? (
              <span className="badge verified">Confirmed</span>
            ) : (
              <>
                <span className="badge unverified">Not confirmed yet</span>{' '}
                <span className="muted">Open the link we e-mailed to this address.</span>
              </>
            )}
          </dd>
        </dl>
      </section>
      <SsoLinkCard link={link} onChange={setLink} />
      {link?.hasPassword === false ? (
        <section className="card" aria-labelledby="password-title">
          <h2 id="password-title">Password</h2>
          <p className="muted">
            Your account has no password: you sign in with {link.provider?.name ?? 'your identity provider'}. To set one, use “Forgot your
            password?” on the login page.
          </p>
        </section>
      ) : (
        <ChangePassword onChanged={() => setSessionsVersion((v) => v + 1)} />
      )}
      <Sessions key={sessionsVersion} />
      <AccessTokens verified={user.emailVerified} />
    </main>
  );
}

function ChangePassword({ onChanged }: { onChanged(): void }) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState(false);
  const wrongCurrent = error instanceof ApiError && error.code === 'invalid_credentials' ? <p>{error.message}</p> : null;
  const weak = passwordProblem(error, 'newPassword');

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setDone(false);
    try {
      await accountApi.changePassword(current, next);
      setCurrent('');
      setNext('');
      setDone(true);
      onChanged();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card" aria-labelledby="password-title">
      <h2 id="password-title">Password</h2>
      <form className="stacked" onSubmit={submit} aria-labelledby="password-title">
        <Field label="Current password" error={wrongCurrent}>
          {(id, describedBy) => (
            <input
              id={id}
              type="password"
              required
              autoComplete="current-password"
              value={current}
              aria-describedby={describedBy}
              aria-invalid={wrongCurrent ? true : undefined}
              onChange={(e) => setCurrent(e.target.value)}
            />
          )}
        </Field>
        <Field label="New password" hint="At least 10 characters, not a common word or built from your name or e-mail." error={weak}>
          {(id, describedBy) => (
            <input
              id={id}
              type="password"
              required
              minLength={10}
              autoComplete="new-password"
              value={next}
              aria-describedby={describedBy}
              aria-invalid={weak ? true : undefined}
              onChange={(e) => setNext(e.target.value)}
            />
          )}
        </Field>
        <ErrorNote error={wrongCurrent || weak ? null : error} />
        {done ? (
          <p className="notice" role="status">
            Your password is changed. Every other session has ended; this one goes on.
          </p>
        ) : null}
        <div>
          <button type="submit" className="primary" disabled={busy}>
            Change password
          </button>
        </div>
      </form>
    </section>
  );
}
