import { useNavigate } from '@tanstack/react-router';
import { type FormEvent, useState } from 'react';
import { ApiError, api } from '../api';
import { passwordProblem } from '../components/Identity';
import { ErrorNote, Field, useTitle } from '../components/ui';
import { useSession } from '../session';

export function ResetPassword({ token }: { token: string | null }) {
  const navigate = useNavigate();
  const { refresh } = useSession();
  const [password, setPassword] = useState('');
  useTitle('Choose a new password');
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState(false);
  const weak = passwordProblem(error, 'password');
  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    try {
      await api.confirmReset(token ?? '', password);
      await refresh();
      setDone(true);
    } catch (caught) {
      setError(caught);
    }
  }
  return (
    <main className="page narrow">
      <form className="card auth" onSubmit={submit} aria-label="Choose a new password">
        <h1 className="form-title">Choose a new password</h1>
        {done ? (
          <>
            <p className="notice" role="status">
              Your password is changed, and every session that used the old one has ended.
            </p>
            <button type="button" className="primary" onClick={() => navigate({ to: '/' })}>
              Log in
            </button>
          </>
        ) : (
          <>
            <Field label="New password" hint="At least 10 characters, not a common word or built from your name or e-mail." error={weak}>
              {(id, describedBy) => (
                <input
                  id={id}
                  aria-describedby={describedBy}
                  aria-invalid={weak ? true : undefined}
                  type="password"
                  minLength={10}
                  required
                  value={password}
                  onChange={(e) => setPassword(e.target.value)}
                  autoComplete="new-password"
                />
              )}
            </Field>
            <ErrorNote error={weak ? null : error} />
            <button type="submit" className="primary">
              Set password
            </button>
            {error instanceof ApiError && error.status === 410 ? (
              <button type="button" className="link" onClick={() => navigate({ to: '/' })}>
                Ask for a new link from the log-in page
              </button>
            ) : null}
          </>
        )}
      </form>
    </main>
  );
}
