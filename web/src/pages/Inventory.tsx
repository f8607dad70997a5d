import { type FormEvent, useCallback, useEffect, useState } from 'react';
import { api, type InventoryItem, LEVELS, TIER_LABEL, type Visibility } from '../api';
import { TierChange } from '../components/TierChange';
import { Dialog, ErrorNote, Field, LevelBadge, Spinner } from '../components/ui';
import { navigate } from '../router';
import { useSession } from '../session';

function NewDataset({ onClose }: { onClose(): void }) {
  const { organizations } = useSession();
  const [orgId, setOrgId] = useState(organizations[0]?.id ?? '');
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [visibility, setVisibility] = useState<Visibility>('admins');
  const [error, setError] = useState<unknown>(null);
  const isAdmin = organizations.find((o) => o.id === orgId)?.role === 'admin';
  async function submit(event: FormEvent) {
    event.preventDefault();
    try {
      const dataset = await api.createDataset(orgId, { name, description, visibility: isAdmin ? visibility : 'admins' });
      navigate(`/datasets/${dataset.id}`);
    } catch (caught) {
      setError(caught);
    }
  }
  return (
    <Dialog title="New dataset" onClose={onClose}>
      <form onSubmit={submit}>
        <Field label="Name">
          {(id) => <input id={id} value={name} onChange={(e) => setName(e.target.value)} required maxLength={200} />}
        </Field>
        <Field label="Description">
          {(id) => <textarea id={id} value={description} onChange={(e) => setDescription(e.target.value)} rows={3} />}
        </Field>
        <Field label="Organization">
          {(id) => (
            <select id={id} value={orgId} onChange={(e) => setOrgId(e.target.value)}>
              {organizations.map((o) => (
                <option key={o.id} value={o.id}>
                  {o.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        {isAdmin ? (
          <Field label="Shared with">
            {(id) => (
              <select id={id} value={visibility} onChange={(e) => setVisibility(e.target.value as Visibility)}>
                {(Object.keys(TIER_LABEL) as Visibility[]).map((v) => (
                  <option key={v} value={v}>
                    {TIER_LABEL[v]}
                  </option>
                ))}
              </select>
            )}
          </Field>
        ) : (
          <p className="hint">New datasets start private to you and the organization's admins.</p>
        )}
        <ErrorNote error={error} />
        <footer className="actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary">
            Create dataset
          </button>
        </footer>
      </form>
    </Dialog>
  );
}

function Welcome() {
  const { refresh } = useSession();
  const [name, setName] = useState('');
  const [error, setError] = useState<unknown>(null);
  async function submit(event: FormEvent) {
    event.preventDefault();
    try {
      const org = await api.createOrg(name);
      await refresh();
      navigate(`/orgs/${org.id}`);
    } catch (caught) {
      setError(caught);
    }
  }
  return (
    <div className="empty card">
      <h2>No datasets yet</h2>
      <p>Datasets belong to organizations. Create one for your team, or open the link in an invitation someone sent you.</p>
      <form className="inline" onSubmit={submit}>
        <Field label="Organization name">
          {(id) => <input id={id} value={name} onChange={(e) => setName(e.target.value)} required placeholder="e.g. Survey Co" />}
        </Field>
        <button type="submit" className="primary">
          Create organization
        </button>
      </form>
      <ErrorNote error={error} />
    </div>
  );
}

export function Inventory() {
  const { organizations } = useSession();
  const [query, setQuery] = useState('');
  const [orgId, setOrgId] = useState('');
  const [minLevel, setMinLevel] = useState('read');
  const [items, setItems] = useState<InventoryItem[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [creating, setCreating] = useState(false);
  const [tierChange, setTierChange] = useState<{ item: InventoryItem; to: Visibility } | null>(null);

  const load = useCallback(
    async (after: string | null) => {
      try {
        const page = await api.inventory({ q: query, orgId, minLevel, cursor: after });
        setItems((previous) => (after && previous ? [...previous, ...page.items] : page.items));
        setCursor(page.nextCursor);
        setError(null);
      } catch (caught) {
        setError(caught);
      }
    },
    [query, orgId, minLevel],
  );
  useEffect(() => {
    const timer = setTimeout(() => void load(null), 150);
    return () => clearTimeout(timer);
  }, [load]);

  const adminOf = (id: string) => organizations.find((o) => o.id === id)?.role === 'admin';
  const filtered = query !== '' || orgId !== '' || minLevel !== 'read';

  return (
    <main className="page">
      <header className="page-header">
        <h1>Datasets</h1>
        {organizations.length > 0 ? (
          <button type="button" className="primary" onClick={() => setCreating(true)}>
            New dataset
          </button>
        ) : null}
      </header>
      <search className="filters">
        <Field label="Search datasets">
          {(id) => <input id={id} type="search" value={query} onChange={(e) => setQuery(e.target.value)} placeholder="Name contains…" />}
        </Field>
        <Field label="Organization">
          {(id) => (
            <select id={id} value={orgId} onChange={(e) => setOrgId(e.target.value)}>
              <option value="">All organizations</option>
              {organizations.map((o) => (
                <option key={o.id} value={o.id}>
                  {o.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="My level at least">
          {(id) => (
            <select id={id} value={minLevel} onChange={(e) => setMinLevel(e.target.value)}>
              {LEVELS.map((l) => (
                <option key={l} value={l}>
                  {l}
                </option>
              ))}
            </select>
          )}
        </Field>
      </search>
      <ErrorNote error={error} />
      {items === null ? (
        error ? null : (
          <Spinner />
        )
      ) : items.length === 0 ? (
        filtered ? (
          <p className="muted">No dataset matches these filters.</p>
        ) : organizations.length === 0 ? (
          <Welcome />
        ) : (
          <p className="muted">No datasets yet: create one with New dataset.</p>
        )
      ) : (
        <table className="inventory">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Organization</th>
              <th scope="col">My level</th>
              <th scope="col">Shared With</th>
              <th scope="col">Shared With Teams</th>
            </tr>
          </thead>
          <tbody>
            {items.map((item) => (
              <tr key={item.id}>
                <td>
                  <a
                    href={`/datasets/${item.id}`}
                    onClick={(e) => {
                      e.preventDefault();
                      navigate(`/datasets/${item.id}`);
                    }}
                  >
                    {item.name}
                  </a>
                </td>
                <td>{item.orgName}</td>
                <td>
                  <LevelBadge level={item.myLevel} />
                </td>
                <td>
                  {adminOf(item.orgId) ? (
                    <select
                      aria-label={`Shared With for ${item.name}`}
                      value={item.visibility}
                      onChange={(e) => setTierChange({ item, to: e.target.value as Visibility })}
                    >
                      {(Object.keys(TIER_LABEL) as Visibility[]).map((v) => (
                        <option key={v} value={v}>
                          {TIER_LABEL[v]}
                        </option>
                      ))}
                    </select>
                  ) : (
                    TIER_LABEL[item.visibility]
                  )}
                </td>
                <td>
                  {item.teams.length === 0 ? (
                    <span className="muted">—</span>
                  ) : (
                    item.teams.map((t) => (
                      <span key={t.id} className="chip">
                        {t.name} · {t.level}
                      </span>
                    ))
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {cursor ? (
        <button type="button" className="more" onClick={() => void load(cursor)}>
          Load more
        </button>
      ) : null}
      {creating ? <NewDataset onClose={() => setCreating(false)} /> : null}
      {tierChange ? (
        <TierChange
          datasetId={tierChange.item.id}
          datasetName={tierChange.item.name}
          to={tierChange.to}
          onCancel={() => setTierChange(null)}
          onDone={() => {
            setTierChange(null);
            void load(null);
          }}
        />
      ) : null}
    </main>
  );
}
