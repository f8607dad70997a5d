import { useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import {
  type AccessToken,
  accountApi,
  cancellable,
  type NewAccessToken,
  SCOPE_HELP,
  TOKEN_DEFAULT_DAYS,
  TOKEN_MAX_DAYS,
  TOKEN_SCOPES,
  type TokenScope,
} from '../api';
import { keys } from '../queries';
import { SecretOnce } from './SecretOnce';
import { Confirm, ErrorNote, Field, formatDate, formatDay, Notice, Spinner, timeLeft, useChanges } from './ui';

const DAY = 86_400_000;

/** Personal access tokens: made for scripts, shown once, limited in scope and time. */
export function AccessTokens({ verified }: { verified: boolean }) {
  const list = useQuery({ queryKey: keys.tokens, queryFn: ({ signal }) => cancellable(signal, () => accountApi.tokens()) });
  const tokens: AccessToken[] | null = list.data?.items ?? null;
  const loadError = list.error;
  const [created, setCreated] = useState<NewAccessToken | null>(null);
  const [deleting, setDeleting] = useState<AccessToken | null>(null);
  const { notice, error, act } = useChanges();
  const load = () => list.refetch();

  return (
    <section className="card" aria-labelledby="tokens-title">
      <h2 id="tokens-title">Access tokens</h2>
      <p className="muted">
        A token lets a script use the API as you, up to the scope you give it, until it expires. Send it as{' '}
        <code>Authorization: Bearer …</code>.
      </p>
      {created ? (
        <SecretOnce
          title={`Token “${created.name}” created (${created.scope}, until ${formatDay(created.expiresAt)})`}
          label="Your new token"
          secret={created.token}
          onDone={() => setCreated(null)}
        >
          <p>
            <strong>Copy it now: you won’t see it again.</strong> Only a fingerprint of it is kept, so nobody — us included — can show it to
            you later.
          </p>
        </SecretOnce>
      ) : verified ? (
        <CreateToken
          onCreated={async (token) => {
            setCreated(token);
            await load();
          }}
        />
      ) : (
        <div className="callout" role="note">
          <p>
            <strong>Confirm your e-mail address to create tokens.</strong> A token acts as you without your password, so only an account
            whose owner has proved the mailbox can make one. Open the link we e-mailed you, or ask for a new one with Resend at the top of
            the page.
          </p>
        </div>
      )}
      <h3>Your tokens</h3>
      <ErrorNote error={loadError ?? error} />
      <Notice text={notice} />
      {tokens === null && !loadError ? <Spinner /> : null}
      {tokens?.length === 0 ? <p className="muted">No tokens yet.</p> : null}
      {tokens && tokens.length > 0 ? (
        <ul className="rows" aria-label="Access tokens">
          {tokens.map((token) => (
            <li key={token.id} className="row">
              <div className="row-main">
                <strong className="token-name">{token.name}</strong> <span className={`badge scope-${token.scope}`}>{token.scope}</span>
                <div className="muted small">
                  {token.expiresAt === null ? (
                    'Never expires'
                  ) : (
                    <>
                      {Date.parse(token.expiresAt) <= Date.now() ? 'Expired' : 'Expires'} {formatDay(token.expiresAt)} (
                      {timeLeft(token.expiresAt)})
                    </>
                  )}{' '}
                  · {token.lastUsedAt ? `last used ${formatDate(token.lastUsedAt)}` : 'never used'}
                </div>
              </div>
              <button type="button" className="danger" aria-label={`Delete token ${token.name}`} onClick={() => setDeleting(token)}>
                Delete
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      {deleting ? (
        <Confirm
          title={`Delete the token “${deleting.name}”?`}
          confirmLabel="Delete token"
          onClose={() => setDeleting(null)}
          onConfirm={() => void act(() => accountApi.deleteToken(deleting.id), `The token “${deleting.name}” is deleted.`, load)}
        >
          <p>Scripts that use it are refused from their next request. This cannot be undone.</p>
        </Confirm>
      ) : null}
    </section>
  );
}

function CreateToken({ onCreated }: { onCreated(token: NewAccessToken): Promise<void> }) {
  const [name, setName] = useState('');
  const [scope, setScope] = useState<TokenScope>('read');
  const [days, setDays] = useState(String(TOKEN_DEFAULT_DAYS));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const dayCount = Number(days);
  const validDays = Number.isInteger(dayCount) && dayCount >= 1 && dayCount <= TOKEN_MAX_DAYS;
  const expiresAt = validDays ? new Date(Date.now() + dayCount * DAY).toISOString() : null;

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!expiresAt) return;
    setBusy(true);
    setError(null);
    try {
      await onCreated(await accountApi.createToken({ name: name.trim(), scope, expiresAt }));
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="stacked" onSubmit={submit} aria-labelledby="new-token-title">
      <h3 id="new-token-title">New token</h3>
      <Field label="Name" hint="Say what uses it, so you know which to delete later.">
        {(id, describedBy) => (
          <input
            id={id}
            required
            maxLength={100}
            value={name}
            placeholder="nightly export"
            aria-describedby={describedBy}
            onChange={(e) => setName(e.target.value)}
          />
        )}
      </Field>
      <fieldset>
        <legend>What it may do</legend>
        {TOKEN_SCOPES.map((option) => (
          <label key={option} className="level-option">
            <input type="radio" name="scope" value={option} checked={scope === option} onChange={() => setScope(option)} />
            <span>
              <strong>{option}</strong> — {SCOPE_HELP[option]}
            </span>
          </label>
        ))}
      </fieldset>
      <Field
        label="Expires after (days)"
        hint={expiresAt ? `Ends on ${formatDay(expiresAt)}. At most ${TOKEN_MAX_DAYS} days.` : undefined}
        error={validDays ? null : `Enter a number of days from 1 to ${TOKEN_MAX_DAYS}.`}
      >
        {(id, describedBy) => (
          <input
            id={id}
            className="days"
            type="number"
            inputMode="numeric"
            min={1}
            max={TOKEN_MAX_DAYS}
            required
            value={days}
            aria-describedby={describedBy}
            aria-invalid={validDays ? undefined : true}
            onChange={(e) => setDays(e.target.value)}
          />
        )}
      </Field>
      <ErrorNote error={error} />
      <div>
        <button type="submit" className="primary" disabled={busy || !validDays}>
          Create token
        </button>
      </div>
    </form>
  );
}
