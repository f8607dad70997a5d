import { keepPreviousData, useInfiniteQuery } from '@tanstack/react-query';
import { Link, useNavigate } from '@tanstack/react-router';
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { allows } from '../allowed';
import { api, cancellable, type InventoryItem, LEVELS, type Level, TIER_LABEL, type Visibility } from '../api';
import { NewDataset } from '../components/NewDataset';
import { TierChange } from '../components/TierChange';
import { ErrorNote, Field, LevelBadge, Spinner, TableHeader, useTitle } from '../components/ui';
import { levelLabel } from '../levels';
import { keys, queryClient } from '../queries';
import { type InventorySearch, inventory } from '../routes';
import { useSession } from '../session';
import { formatDay } from '../time';

function Welcome() {
  const { refresh } = useSession();
  const navigate = useNavigate();
  const [name, setName] = useState('');
  const [error, setError] = useState<unknown>(null);
  async function submit(event: FormEvent) {
    event.preventDefault();
    try {
      const org = await api.createOrg(name);
      await refresh();
      void navigate({ to: '/orgs/$id', params: { id: org.id } });
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

/** How long typing pauses before the list is asked again. */
const TYPING_PAUSE = 150;

export function Inventory() {
  const { organizations } = useSession();
  const search = inventory.useSearch();
  const navigate = useNavigate({ from: '/' });
  const [creating, setCreating] = useState(false);
  const [tierChange, setTierChange] = useState<{ item: InventoryItem; to: Visibility } | null>(null);
  useTitle('Datasets');

  // The filters live in the address, so a link or the back button shows the same list.
  const orgId = search.org ?? '';
  const minLevel = search.level ?? 'read';
  const pages = search.pages ?? 1;
  const show = (change: InventorySearch) =>
    void navigate({ search: (previous) => ({ ...previous, pages: undefined, ...change }), replace: true });

  // Typing changes the address (and the request) once per pause; a newer key cancels the older request.
  // The box follows the address when it changes from elsewhere (back button, a link), never while typing.
  const [query, setQuery] = useState(search.q ?? '');
  const sent = useRef(search.q ?? '');
  useEffect(() => {
    if ((search.q ?? '') === sent.current) return;
    sent.current = search.q ?? '';
    setQuery(sent.current);
  }, [search.q]);
  useEffect(() => {
    if (query === sent.current) return;
    const timer = setTimeout(() => {
      sent.current = query;
      show({ q: query || undefined });
    }, TYPING_PAUSE);
    return () => clearTimeout(timer);
  });

  const filters = { q: search.q ?? '', orgId, minLevel };
  const list = useInfiniteQuery({
    queryKey: [...keys.inventory, filters],
    queryFn: ({ pageParam, signal }) => cancellable(signal, () => api.inventory({ ...filters, cursor: pageParam })),
    initialPageParam: null as string | null,
    getNextPageParam: (page) => page.nextCursor,
    placeholderData: keepPreviousData,
  });
  // The address says how many pages are shown: fetch up to there (after a reload or a link).
  const loaded = list.data?.pages.length ?? 0;
  useEffect(() => {
    if (loaded > 0 && loaded < pages && list.hasNextPage && !list.isFetchingNextPage && !list.isPlaceholderData) void list.fetchNextPage();
  }, [loaded, pages, list]);
  const shownPages = list.data?.pages.slice(0, pages);
  const items = shownPages ? shownPages.flatMap((page) => page.items) : null;
  const more = shownPages ? (shownPages.length < loaded ? true : list.hasNextPage) : false;
  const error = list.error;

  const filtered = query !== '' || orgId !== '' || minLevel !== 'read';
  const clearFilters = () => {
    sent.current = '';
    setQuery('');
    show({ q: undefined, org: undefined, level: undefined });
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
            <select id={id} value={orgId} onChange={(e) => show({ org: e.target.value || undefined })}>
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
            <select
              id={id}
              value={minLevel}
              onChange={(e) => show({ level: e.target.value === 'read' ? undefined : (e.target.value as Level) })}
            >
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
            <TableHeader
              columns={['Name', 'Organization', 'My level', 'Shared With', 'Shared With Teams', { label: 'Items', numeric: true }]}
            />
            <tbody>
              {items.map((item) => (
                <tr key={item.id}>
                  <td>
                    <Link to="/datasets/$id" params={{ id: item.id }}>
                      {item.name}
                    </Link>
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
                    {allows(item, 'dataset.setVisibility', organizations) ? (
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
                        allows(item, 'dataset.share') ? (
                          <Link
                            key={t.id}
                            className="chip"
                            to="/datasets/$id"
                            params={{ id: item.id }}
                            hash="sharing-settings"
                            aria-label={`${t.name} · ${levelLabel(t.level)}: sharing settings of ${item.name}`}
                          >
                            {t.name} · {levelLabel(t.level)}
                          </Link>
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
      {more ? (
        <button type="button" className="more" onClick={() => void navigate({ search: (previous) => ({ ...previous, pages: pages + 1 }) })}>
          Load more
        </button>
      ) : null}
      {items && items.length > 0 ? (
        <p className="muted count" aria-live="polite">
          {items.length} dataset{items.length === 1 ? '' : 's'} shown{more ? ', more to load' : ''}.
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
            void queryClient.invalidateQueries({ queryKey: keys.inventory });
          }}
        />
      ) : null}
    </main>
  );
}
