import { type FormEvent, useCallback, useEffect, useRef, useState } from 'react';
import { api, type InventoryItem, LEVELS, TIER_LABEL, type Visibility } from '../api';
import { NewDataset } from '../components/NewDataset';
import { TierChange } from '../components/TierChange';
import { ErrorNote, Field, LevelBadge, Spinner, useTitle } from '../components/ui';
import { levelLabel } from '../levels';
import { navigate } from '../router';
import { useSession } from '../session';
import { formatDay } from '../time';

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
    <section className="empty card" aria-labelledby="welcome-title">
      <h2 id="welcome-title">No datasets yet</h2>
      <p>Datasets belong to organizations. There are two ways in:</p>
      <ol className="steps">
        <li>
          <strong>Someone shared a dataset with you?</strong> Open the link in their invitation e-mail: it brings you straight to it.
        </li>
        <li>
          <strong>Starting out with your team?</strong> Create an organization, invite your colleagues, then add datasets.
        </li>
      </ol>
      <form className="inline" onSubmit={submit}>
        <Field label="Organization name">
          {(id) => <input id={id} value={name} onChange={(e) => setName(e.target.value)} required placeholder="e.g. Survey Co" />}
        </Field>
        <button type="submit" className="primary">
          Create organization
        </button>
      </form>
      <ErrorNote error={error} />
    </section>
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
  useTitle('Datasets');

  // Typing sends a request per pause; only the newest answer may land.
  const latest = useRef(0);
  const load = useCallback(
    async (after: string | null) => {
      const ticket = ++latest.current;
      try {
        const page = await api.inventory({ q: query, orgId, minLevel, cursor: after });
        if (ticket !== latest.current) return;
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
  const clearFilters = () => {
    setQuery('');
    setOrgId('');
    setMinLevel('read');
  };

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
                  {levelLabel(l)}
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
          <div className="empty card">
            <p>No dataset matches these filters.</p>
            <button type="button" onClick={clearFilters}>
              Clear filters
            </button>
          </div>
        ) : organizations.length === 0 ? (
          <Welcome />
        ) : (
          <div className="empty card">
            <h2>No datasets yet</h2>
            <p>Create the first dataset of your organization, or open an invitation link someone sent you.</p>
            <button type="button" className="primary" onClick={() => setCreating(true)}>
              Create a dataset
            </button>
          </div>
        )
      ) : (
        <div className="table-wrap">
          <p className="scroll-cue muted">Scroll the table sideways for my level, sharing and items →</p>
          <table className="inventory">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Organization</th>
                <th scope="col">My level</th>
                <th scope="col">Shared With</th>
                <th scope="col">Shared With Teams</th>
                <th scope="col" className="num">
                  Items
                </th>
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
                    {item.predecessorId ? (
                      <div className="muted small">
                        from {items.find((i) => i.id === item.predecessorId)?.name ?? 'another dataset'}, {formatDay(item.createdAt)}
                      </div>
                    ) : null}
                    {item.description ? <div className="muted clip">{item.description}</div> : null}
                  </td>
                  <td>{item.orgName}</td>
                  <td>
                    <LevelBadge level={item.myLevel} />
                  </td>
                  <td>
                    {adminOf(item.orgId) ? (
                      <select
                        aria-label={`Shared With for ${item.name}`}
                        title={TIER_LABEL[item.visibility]}
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
                      <span className={`tier tier-${item.visibility}`}>{TIER_LABEL[item.visibility]}</span>
                    )}
                  </td>
                  <td>
                    {item.teams.length === 0 ? (
                      <span className="muted">—</span>
                    ) : (
                      item.teams.map((t) =>
                        // A dataset's admins change team sharing where it is set: its sharing settings.
                        item.myLevel === 'admin' ? (
                          <a
                            key={t.id}
                            className="chip"
                            href={`/datasets/${item.id}#sharing-settings`}
                            aria-label={`${t.name} · ${levelLabel(t.level)}: sharing settings of ${item.name}`}
                            onClick={(e) => {
                              e.preventDefault();
                              navigate(`/datasets/${item.id}#sharing-settings`);
                            }}
                          >
                            {t.name} · {levelLabel(t.level)}
                          </a>
                        ) : (
                          <span key={t.id} className="chip">
                            {t.name} · {levelLabel(t.level)}
                          </span>
                        ),
                      )
                    )}
                  </td>
                  <td className="num">{item.itemCount}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {cursor ? (
        <button type="button" className="more" onClick={() => void load(cursor)}>
          Load more
        </button>
      ) : null}
      {items && items.length > 0 ? (
        <p className="muted count" aria-live="polite">
          {items.length} dataset{items.length === 1 ? '' : 's'} shown{cursor ? ', more to load' : ''}.
        </p>
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
