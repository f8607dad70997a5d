import { useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { cancellable, type NewScimToken, type ScimToken, scimApi } from '../api';
import { keys } from '../queries';
import { SecretOnce } from './SecretOnce';
import { Confirm, ErrorNote, Field, formatDate, Notice, Spinner, useChanges } from './ui';

/** Provisioning tokens for the organization's identity provider (Okta, Entra ID, …): shown once, revoked at once. */
export function ScimTokens({ orgId }: { orgId: string }) {
  const list = useQuery({ queryKey: keys.scimTokens(orgId), queryFn: ({ signal }) => cancellable(signal, () => scimApi.tokens(orgId)) });
  const tokens: ScimToken[] | null = list.data?.items ?? null;
  const baseUrl = list.data?.scimBaseUrl ?? null;
  const loadError = list.error;
  const [created, setCreated] = useState<NewScimToken | null>(null);
  const [revoking, setRevoking] = useState<ScimToken | null>(null);
  const { notice, error, act } = useChanges();
  const load = () => list.refetch();

  return (
    <section className="card" aria-labelledby="scim-title">
      <h2 id="scim-title">Provisioning (SCIM)</h2>
      <p className="muted">
        Connect your identity provider to add and remove members and teams from your directory. When it deactivates someone, their access to
        this organization ends at once. SCIM base URL: <code>{baseUrl ?? '…'}</code>
      </p>
      {created ? (
        <SecretOnce
          title={`Provisioning token “${created.name}” created`}
          label="Your new provisioning token"
          secret={created.token}
          onDone={() => setCreated(null)}
        >
          <p>
            <strong>Copy it now: you won’t see it again.</strong> Paste it into your identity provider as the bearer token, with the SCIM
            base URL <code>{created.scimBaseUrl}</code>.
          </p>
        </SecretOnce>
      ) : (
        <CreateToken
          orgId={orgId}
          onCreated={async (token) => {
            setCreated(token);
            await load();
          }}
        />
      )}
      <ErrorNote error={loadError ?? error} />
      <Notice text={notice} />
      {tokens === null && !loadError ? <Spinner /> : null}
      {tokens?.length === 0 ? <p className="muted">No provisioning tokens.</p> : null}
      {tokens && tokens.length > 0 ? (
        <ul className="rows" aria-label="Provisioning tokens">
          {tokens.map((token) => (
            <li key={token.id} className="row">
              <div className="row-main">
                <strong>{token.name}</strong>
                <div className="muted small">
                  Created {formatDate(token.createdAt)} · {token.lastUsedAt ? `last used ${formatDate(token.lastUsedAt)}` : 'never used'}
                </div>
              </div>
              <button
                type="button"
                className="danger"
                aria-label={`Revoke provisioning token ${token.name}`}
                onClick={() => setRevoking(token)}
              >
                Revoke
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      {revoking ? (
        <Confirm
          title={`Revoke the provisioning token “${revoking.name}”?`}
          confirmLabel="Revoke token"
          onClose={() => setRevoking(null)}
          onConfirm={() => void act(() => scimApi.revokeToken(orgId, revoking.id), `The token “${revoking.name}” is revoked.`, load)}
        >
          <p>Your identity provider is refused from its next request, until you give it a new token.</p>
        </Confirm>
      ) : null}
    </section>
  );
}

function CreateToken({ orgId, onCreated }: { orgId: string; onCreated(token: NewScimToken): Promise<void> }) {
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await onCreated(await scimApi.createToken(orgId, name.trim()));
      setName('');
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }
  return (
    <form className="inline" onSubmit={submit} aria-label="New provisioning token">
      <Field label="Token name" hint="The directory it is for, e.g. Okta.">
        {(id, describedBy) => (
          <input id={id} required maxLength={100} value={name} aria-describedby={describedBy} onChange={(e) => setName(e.target.value)} />
        )}
      </Field>
      <button type="submit" className="primary" disabled={busy}>
        Create token
      </button>
      <ErrorNote error={error} />
    </form>
  );
}
