import { type FormEvent, useState } from 'react';
import { api } from '../api';
import { ErrorNote, Field } from '../components/ui';
import { navigate } from '../router';

export function ResetPassword({ token }: { token: string | null }) {
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState(false);
  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    try {
      await api.confirmReset(token ?? '', password);
      setDone(true);
    } catch (caught) {
      setError(caught);
    }
  }
  return (
    <div className="narrow">
      <form className="card" onSubmit={submit} aria-label="Choose a new password">
        <h2>Choose a new password</h2>
        {done ? (
          <>
            <p role="status">Your password is changed and every other session has ended.</p>
            <button type="button" className="primary" onClick={() => navigate('/')}>
              Log in
            </button>
          </>
        ) : (
          <>
            <Field label="New password" hint="At least 10 characters.">
              {(id) => (
                <input
                  id={id}
                  type="password"
                  minLength={10}
                  required
                  value={password}
                  onChange={(e) => setPassword(e.target.value)}
                  autoComplete="new-password"
                />
              )}
            </Field>
            <ErrorNote error={error} />
            <button type="submit" className="primary">
              Set password
            </button>
          </>
        )}
      </form>
    </div>
  );
}
