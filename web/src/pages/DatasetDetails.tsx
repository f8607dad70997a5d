import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useLocation, useNavigate } from '@tanstack/react-router';
import { type KeyboardEvent, useEffect, useRef, useState } from 'react';
import { allows, type DatasetAction } from '../allowed';
import { ApiError, api, type Dataset, NOT_FOUND, TIER_LABEL } from '../api';
import { History } from '../components/History';
import { Items } from '../components/Items';
import { ProcessDialog, ProjectsAndLineage } from '../components/Lineage';
import { SharePanel } from '../components/SharePanel';
import { SharingSettings } from '../components/SharingSettings';
import { Confirm, DialogForm, ErrorNote, Field, LevelBadge, NotFoundPage, Notice, Spinner, useTitle } from '../components/ui';
import { Why } from '../components/Why';
import { keys, queries } from '../queries';
import { useSession } from '../session';
import { formatDay } from '../time';

function EditDataset({ dataset, onClose, onSaved }: { dataset: Dataset; onClose(): void; onSaved(d: Dataset): void }) {
  const [name, setName] = useState(dataset.name);
  const [description, setDescription] = useState(dataset.description);
  return (
    <DialogForm
      title="Edit dataset"
      submitLabel="Save"
      onClose={onClose}
      onSubmit={async () => onSaved(await api.updateDataset(dataset.id, { name, description }))}
    >
      <Field label="Name">
        {(id) => <input id={id} value={name} onChange={(e) => setName(e.target.value)} required maxLength={200} />}
      </Field>
      <Field label="Description">
        {(id) => <textarea id={id} rows={4} value={description} onChange={(e) => setDescription(e.target.value)} />}
      </Field>
    </DialogForm>
  );
}

/** Arrow keys move between a toolbar's buttons, as screen-reader users expect of a toolbar. */
function moveAlongToolbar(event: KeyboardEvent<HTMLDivElement>) {
  if (event.key !== 'ArrowLeft' && event.key !== 'ArrowRight') return;
  const buttons = [...event.currentTarget.querySelectorAll('button')];
  const at = buttons.indexOf(document.activeElement as HTMLButtonElement);
  const next = buttons[(at + (event.key === 'ArrowRight' ? 1 : buttons.length - 1)) % buttons.length];
  next?.focus();
  event.preventDefault();
}

export function DatasetDetails({ id }: { id: string }) {
  const { user, organizations } = useSession();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const answer = useQuery(queries.dataset(id));
  const dataset = answer.data ?? null;
  const [failure, setError] = useState<unknown>(null);
  const error = answer.error ?? failure;
  const [sharing, setSharing] = useState(false);
  const [editing, setEditing] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [processing, setProcessing] = useState(false);
  // What the last action did, shown on the page it led to.
  const notice = useLocation({ select: (location) => location.state.notice });
  // Arriving for the sharing settings (a team chip in the inventory, the toolbar) puts them first.
  const [sharingJump, setSharingJump] = useState(() => (window.location.hash === '#sharing-settings' ? 1 : 0));
  const sharingFirst = sharingJump > 0;
  /** Everything shown of the dataset is asked again: it, its sharing, its history. */
  const reload = () => queryClient.invalidateQueries({ queryKey: keys.dataset(id) });
  // The dataset was shown and is now refused: the access to it was taken away (or it was deleted).
  const removed = dataset !== null && answer.error instanceof ApiError && answer.error.status === 404;
  useTitle(removed ? 'Access removed' : dataset ? dataset.name : error ? 'Dataset not found' : null);

  // A part of the page that is refused, or coming back to the tab, re-checks the access: once it
  // is gone, the page says so instead of leaving errors and spinners behind.
  const shown = dataset !== null;
  useEffect(() => {
    if (!shown) return;
    // A check already under way answers for this one too.
    const recheck = () => void queryClient.refetchQueries({ queryKey: keys.dataset(id), exact: true }, { cancelRefetch: false });
    const onVisible = () => document.visibilityState === 'visible' && recheck();
    window.addEventListener(NOT_FOUND, recheck);
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      window.removeEventListener(NOT_FOUND, recheck);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [id, shown, queryClient]);

  // Lineage: which dataset this one was made from, by name (two runs of one pipeline share a name).
  const lineage = useQuery({ ...queries.lineage(id), enabled: Boolean(dataset?.predecessorId) });
  const predecessor = lineage.data?.predecessor ?? null;

  const sharingSettings = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!shown || sharingJump === 0) return;
    sharingSettings.current?.scrollIntoView({ block: 'start' });
    sharingSettings.current?.focus({ preventScroll: true });
  }, [shown, sharingJump]);

  if (removed) {
    return (
      <NotFoundPage title="Your access to this dataset was removed">
        Someone who manages it took your access away, or the dataset was deleted. If you still need it, ask the person who shared it with
        you.
      </NotFoundPage>
    );
  }
  if (error instanceof ApiError && error.status === 404) {
    return (
      <NotFoundPage title="Dataset not found">
        It does not exist, or you no longer have access to it. If someone shared it with you, ask them to share it again.
      </NotFoundPage>
    );
  }
  if (!dataset) return <main className="page">{error ? <ErrorNote error={error} /> : <Spinner />}</main>;

  const org = organizations.find((o) => o.id === dataset.orgId);
  const can = (action: DatasetAction) => allows(dataset, action, organizations);
  const settings = can('dataset.share') ? (
    <div id="sharing-settings" className="anchor" ref={sharingSettings} tabIndex={-1}>
      <SharingSettings dataset={dataset} />
    </div>
  ) : null;
  return (
    <main className="page">
      <nav className="crumbs" aria-label="Breadcrumb">
        <Link to="/" activeOptions={{ exact: true }}>
          Datasets
        </Link>{' '}
        / {dataset.name}
      </nav>
      <header className="page-header">
        <div>
          <h1>{dataset.name}</h1>
          <p className="muted">
            {org ? org.name : 'Shared with you from another organization'} · {TIER_LABEL[dataset.visibility]} · {dataset.itemCount} items
          </p>
        </div>
        <div className="toolbar" role="toolbar" aria-label="Dataset actions" onKeyDown={moveAlongToolbar}>
          {can('dataset.share') ? (
            <button type="button" className="primary" onClick={() => setSharing(true)}>
              Share
            </button>
          ) : null}
          {can('dataset.share') ? (
            <button
              type="button"
              onClick={() => {
                window.history.replaceState(null, '', '#sharing-settings');
                setSharingJump((n) => n + 1);
              }}
            >
              Sharing settings
            </button>
          ) : null}
          {can('dataset.edit') ? (
            <button type="button" onClick={() => setEditing(true)}>
              Edit
            </button>
          ) : null}
          {can('dataset.process') ? (
            <button type="button" onClick={() => setProcessing(true)}>
              Process
            </button>
          ) : null}
          {can('dataset.delete') ? (
            <button type="button" className="danger" onClick={() => setDeleting(true)}>
              Delete
            </button>
          ) : null}
        </div>
      </header>
      <Notice text={notice} />
      <section className="card details">
        <p>{dataset.description || <span className="muted">No description.</span>}</p>
        <dl>
          <dt>Your level</dt>
          <dd>
            <LevelBadge level={dataset.myLevel} />
            {user ? <Why datasetId={dataset.id} userId={user.id} label="Why you have access" /> : null}
          </dd>
          <dt>Created</dt>
          <dd>{formatDay(dataset.createdAt)}</dd>
          {dataset.predecessorId ? (
            <>
              <dt>Made from</dt>
              <dd>
                <Link to="/datasets/$id" params={{ id: dataset.predecessorId }}>
                  {predecessor ? `“${predecessor.name}”` : 'its predecessor'}
                </Link>
                , {formatDay(dataset.createdAt)}
              </dd>
            </>
          ) : null}
        </dl>
      </section>
      {sharingFirst ? settings : null}
      <Items dataset={dataset} onChange={() => void reload()} />
      <ProjectsAndLineage key={dataset.id} dataset={dataset} />
      {sharingFirst ? null : settings}
      {can('dataset.share') ? <History orgId={dataset.orgId} datasetId={dataset.id} /> : null}
      {sharing ? (
        <SharePanel
          datasetId={dataset.id}
          orgId={dataset.orgId}
          mayOpenToOutsiders={can('dataset.setVisibility')}
          onClose={() => setSharing(false)}
          onShared={() => void reload()}
        />
      ) : null}
      {editing ? (
        <EditDataset
          dataset={dataset}
          onClose={() => setEditing(false)}
          onSaved={(d) => {
            queryClient.setQueryData(keys.dataset(d.id), d);
            void queryClient.invalidateQueries({ queryKey: keys.inventory });
            setEditing(false);
          }}
        />
      ) : null}
      {processing ? (
        <ProcessDialog
          dataset={dataset}
          onClose={() => setProcessing(false)}
          onDone={(newId) => {
            setProcessing(false);
            void queryClient.invalidateQueries({ queryKey: keys.inventory });
            void navigate({
              to: '/datasets/$id',
              params: { id: newId },
              state: { notice: `Done: this is the deduplicated copy of “${dataset.name}”. The original stays as it was.` },
            });
          }}
        />
      ) : null}
      {deleting ? (
        <Confirm
          title={`Delete “${dataset.name}”?`}
          confirmLabel="Delete dataset"
          onClose={() => setDeleting(false)}
          onConfirm={() =>
            void api.deleteDataset(dataset.id).then(() => {
              queryClient.removeQueries({ queryKey: keys.dataset(dataset.id) });
              void queryClient.invalidateQueries({ queryKey: keys.inventory });
              return navigate({ to: '/' });
            }, setError)
          }
        >
          <p>Everyone loses access at once, and its grants and invitations are deleted. Its history stays in the audit log.</p>
        </Confirm>
      ) : null}
    </main>
  );
}
