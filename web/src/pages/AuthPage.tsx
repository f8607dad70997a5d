import { type FormEvent, useState } from 'react';
import { api } from '../api';
import { ErrorNote, Field } from '../components/ui';
import { useSession } from '../session';

type Mode = 'login' | 'signup' | 'forgot';

/** Log in, sign up or ask for a reset link. With an invitation, the invited address is fixed. */
export function AuthForm({
  initialMode = 'login',
  email: fixedEmail,
  inviteToken,
  onDone,
}: {
  initialMode?: Mode;
  email?: string;
  inviteToken?: string;
  onDone?(): void;
}) {
  const { refresh } = useSession();
  const [mode, setMode] = useState<Mode>(initialMode);
  const [email, setEmail] = useState(fixedEmail ?? '');
  const [password, setPassword] = useState('');
  const [name, setName] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [sent, setSent] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
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
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  const title = mode === 'login' ? 'Log in' : mode === 'signup' ? 'Create your account' : 'Reset your password';
  return (
    <form className="card auth" onSubmit={submit} aria-label={title}>
      <h2>{title}</h2>
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
            <Field label="Password" hint={mode === 'signup' ? 'At least 10 characters.' : undefined}>
              {(id) => (
                <input
                  id={id}
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
          <ErrorNote error={error} />
          <button type="submit" className="primary" disabled={busy}>
            {mode === 'login' ? 'Log in' : mode === 'signup' ? 'Sign up' : 'Send reset link'}
          </button>
        </>
      )}
      <div className="switch">
        {mode !== 'login' ? (
          <button type="button" className="link" onClick={() => setMode('login')}>
            I have an account: log in
          </button>
        ) : null}
        {mode !== 'signup' ? (
          <button type="button" className="link" onClick={() => setMode('signup')}>
            New here? Sign up
          </button>
        ) : null}
        {mode === 'login' && !inviteToken ? (
          <button type="button" className="link" onClick={() => setMode('forgot')}>
            Forgot your password?
          </button>
        ) : null}
      </div>
    </form>
  );
}

export function AuthPage() {
  return (
    <div className="auth-page">
      <section className="pitch">
        <h1>Tessera</h1>
        <p>
          Share datasets with colleagues, teams and partners — with exactly the access each one should have, and take it back instantly.
        </p>
      </section>
      <AuthForm />
    </div>
  );
}
