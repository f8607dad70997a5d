import { type FormEvent, useState } from 'react';
import { ApiError, api } from '../api';
import { passwordProblem } from '../components/Identity';
import { SsoButton, useSignInProviders } from '../components/SingleSignOn';
import { ErrorNote, Field, Notice, useTitle } from '../components/ui';
import { useSession } from '../session';

type Mode = 'login' | 'signup' | 'forgot';

/** Log in, sign up or ask for a reset link. With an invitation, the invited address is fixed. */
export function AuthForm({
  initialMode = 'login',
  email: fixedEmail,
  inviteToken,
  intro,
  canSignUp = true,
  onDone,
  returnTo,
  beforeSignIn,
}: {
  initialMode?: Mode;
  email?: string;
  inviteToken?: string;
  intro?: string;
  /** False where only an existing account will do (confirming an address). */
  canSignUp?: boolean;
  onDone?(): void;
  /** Where single sign-on comes back to; this page unless said. */
  returnTo?: string;
  /** Runs before the browser leaves for the identity provider. */
  beforeSignIn?(): void;
}) {
  const { refresh } = useSession();
  const providers = useSignInProviders();
  const [mode, setMode] = useState<Mode>(initialMode);
  const [email, setEmail] = useState(fixedEmail ?? '');
  const [password, setPassword] = useState('');
  const [name, setName] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [sent, setSent] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      if (mode === 'forgot') {
        await api.requestReset(email);
        setSent(true);
        return;
      }
      if (mode === 'signup') await api.signup({ email, password, name, ...(inviteToken ? { inviteToken } : {}) });
      else await api.login({ email, password });
      await refresh();
      onDone?.();
    } catch (caught) {
      if (mode === 'signup' && caught instanceof ApiError && caught.code === 'email_taken') {
        setMode('login');
        setNotice(`There is already an account for ${email}: log in with its password.`);
      } else setError(caught);
    } finally {
      setBusy(false);
    }
  }

  function choose(next: Mode) {
    setMode(next);
    setError(null);
    setNotice(null);
    setSent(false);
  }

  // A refused new password is shown at its field, with the server's advice.
  const weak = mode === 'signup' ? passwordProblem(error, 'password') : null;
  const title = mode === 'login' ? 'Log in' : mode === 'signup' ? 'Create your account' : 'Reset your password';
  const sso = (
    <SsoButton
      returnTo={returnTo ?? `${window.location.pathname}${window.location.search}`}
      {...(beforeSignIn ? { beforeLeave: beforeSignIn } : {})}
    />
  );
  // OIDC_ONLY: the identity provider is the only way in.
  if (providers?.passwordLogin === false) {
    return (
      <section className="card auth" aria-label="Sign in">
        <h2>Sign in</h2>
        {intro ? <p className="muted">{intro}</p> : null}
        {sso}
      </section>
    );
  }
  return (
    <form className="card auth" onSubmit={submit} aria-label={title}>
      <h2>{title}</h2>
      {intro ? <p className="muted">{intro}</p> : null}
      {mode !== 'forgot' && providers?.oidc ? (
        <>
          {sso}
          <p className="muted or">or with your e-mail and a password:</p>
        </>
      ) : null}
      <Notice text={notice} />
      {sent ? (
        <p className="notice" role="status">
          If an account exists for {email}, a reset link is on its way. It works once, for one hour.
        </p>
      ) : (
        <>
          {mode === 'signup' ? (
            <Field label="Your name">
              {(id) => <input id={id} value={name} onChange={(e) => setName(e.target.value)} required autoComplete="name" />}
            </Field>
          ) : null}
          <Field label="E-mail">
            {(id) => (
              <input
                id={id}
                type="email"
                value={email}
                onChange={(e) => setEmail(e.target.value)}
                required
                readOnly={fixedEmail !== undefined}
                autoComplete="email"
              />
            )}
          </Field>
          {mode !== 'forgot' ? (
            <Field
              label="Password"
              hint={mode === 'signup' ? 'At least 10 characters, not a common word or built from your name or e-mail.' : undefined}
              error={weak}
            >
              {(id, describedBy) => (
                <input
                  id={id}
                  aria-describedby={describedBy}
                  aria-invalid={weak ? true : undefined}
                  type="password"
                  value={password}
                  onChange={(e) => setPassword(e.target.value)}
                  required
                  minLength={mode === 'signup' ? 10 : undefined}
                  autoComplete={mode === 'signup' ? 'new-password' : 'current-password'}
                />
              )}
            </Field>
          ) : null}
          <ErrorNote error={weak ? null : error} />
          <button type="submit" className="primary" disabled={busy}>
            {mode === 'login' ? 'Log in' : mode === 'signup' ? 'Sign up' : 'Send reset link'}
          </button>
        </>
      )}
      <div className="switch">
        {mode !== 'login' ? (
          <button type="button" className="link" onClick={() => choose('login')}>
            I have an account: log in
          </button>
        ) : null}
        {mode !== 'signup' && canSignUp ? (
          <button type="button" className="link" onClick={() => choose('signup')}>
            New here? Sign up
          </button>
        ) : null}
        {mode === 'login' && !inviteToken ? (
          <button type="button" className="link" onClick={() => choose('forgot')}>
            Forgot your password?
          </button>
        ) : null}
      </div>
    </form>
  );
}

export function AuthPage() {
  useTitle('Log in');
  return (
    <main className="auth-page">
      <section className="pitch">
        <h1>Tessera</h1>
        <p>
          Share datasets with colleagues, teams and partners — with exactly the access each one should have, and take it back instantly.
        </p>
        <ul>
          <li>Invite anyone by e-mail at read, annotate, write or admin level.</li>
          <li>See who has access and why, before and after every change.</li>
          <li>Revoke in one click: it holds from the very next request.</li>
        </ul>
      </section>
      <AuthForm />
    </main>
  );
}
