import { useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { cancellable, type NewWebhook, type Webhook, type WebhookDelivery, webhookApi } from '../api';
import { keys } from '../queries';
import { lookAgainIn } from '../time';
import { SecretOnce } from './SecretOnce';
import { Confirm, ErrorNote, Field, formatDate, isMissing, Notice, plural, Spinner, TableHeader, useChanges } from './ui';

/** The event types offered as choices; any audit type can be named through the API. */
const ACCESS_EVENTS = [
  'grant.set',
  'grant.revoked',
  'team_grant.set',
  'team_grant.revoked',
  'member.added',
  'member.removed',
  'invitation.accepted',
];

/** Org admins: the organization's webhooks, registering one (its secret shown once), ping, deliveries, delete. */
export function Webhooks({ orgId }: { orgId: string }) {
  const list = useQuery({ queryKey: keys.webhooks(orgId), queryFn: ({ signal }) => cancellable(signal, () => webhookApi.list(orgId)) });
  const hooks: Webhook[] | null = list.data?.items ?? null;
  const [created, setCreated] = useState<{ label: string; secret: string } | null>(null);
  const [deleting, setDeleting] = useState<Webhook | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const changes = useChanges();
  const { notice, act } = changes;
  const error = changes.error ?? list.error;
  const load = () => list.refetch();
  if (isMissing(error) && hooks === null) return null;

  return (
    <section className="card" aria-labelledby="webhooks-title">
      <h2 id="webhooks-title">Webhooks</h2>
      <p className="muted">
        Tessera sends each event of this organization to these HTTPS endpoints, signed with the webhook’s secret (header{' '}
        <code>Tessera-Signature</code>). Failed deliveries are retried for a day; a webhook failing for a day is disabled.
      </p>
      {created ? (
        <SecretOnce title={created.label} label="Signing secret" secret={created.secret} onDone={() => setCreated(null)}>
          <p>
            <strong>Copy the signing secret now: you won’t see it again.</strong> Your receiver uses it to check each request’s{' '}
            <code>Tessera-Signature</code>.
          </p>
        </SecretOnce>
      ) : (
        <AddWebhook
          orgId={orgId}
          onCreated={async (hook: NewWebhook) => {
            setCreated({ label: `Webhook ${hook.url} added`, secret: hook.secret });
            await load();
          }}
        />
      )}
      <ErrorNote error={error} />
      <Notice text={notice} />
      {hooks === null ? <Spinner /> : null}
      {hooks?.length === 0 ? <p className="muted">No webhooks yet.</p> : null}
      {hooks && hooks.length > 0 ? (
        <ul className="rows" aria-label="Webhooks">
          {hooks.map((hook) => (
            <li key={hook.id} className="row webhook">
              <div className="row-main">
                <strong className="webhook-url">{hook.url}</strong> {hook.enabled ? null : <span className="badge">disabled</span>}
                <div className="muted small">
                  {hook.events.includes('*') ? 'every event' : hook.events.join(', ')} · added {formatDate(hook.createdAt)}
                  {hook.disabledAt ? ` · disabled ${formatDate(hook.disabledAt)} after a day of failures` : ''}
                </div>
                {open === hook.id ? <Deliveries id={hook.id} /> : null}
              </div>
              <div className="row-actions">
                <button
                  type="button"
                  aria-label={`Ping ${hook.url}`}
                  disabled={!hook.enabled}
                  onClick={() =>
                    void act(
                      () => webhookApi.ping(hook.id),
                      `A ping is on its way to ${hook.url}.`,
                      async () => {
                        setOpen(null);
                        await load();
                        setOpen(hook.id);
                      },
                    )
                  }
                >
                  Ping
                </button>
                <button type="button" aria-expanded={open === hook.id} onClick={() => setOpen(open === hook.id ? null : hook.id)}>
                  Deliveries
                </button>
                <button
                  type="button"
                  aria-label={`New secret for ${hook.url}`}
                  onClick={() =>
                    void act(
                      async () => {
                        const { secret } = await webhookApi.rotateSecret(hook.id);
                        setCreated({ label: `New secret for ${hook.url} (the old one signs too for 24 hours)`, secret });
                      },
                      null,
                      load,
                    )
                  }
                >
                  New secret
                </button>
                <button type="button" className="danger" aria-label={`Delete webhook ${hook.url}`} onClick={() => setDeleting(hook)}>
                  Delete
                </button>
              </div>
            </li>
          ))}
        </ul>
      ) : null}
      {deleting ? (
        <Confirm
          title={`Delete the webhook ${deleting.url}?`}
          confirmLabel="Delete webhook"
          onClose={() => setDeleting(null)}
          onConfirm={() => void act(() => webhookApi.remove(deleting.id), `The webhook ${deleting.url} is deleted.`, load)}
        >
          <p>No more events are sent to it, and its delivery log goes with it.</p>
        </Confirm>
      ) : null}
    </section>
  );
}

function AddWebhook({ orgId, onCreated }: { orgId: string; onCreated(hook: NewWebhook): Promise<void> }) {
  const [url, setUrl] = useState('');
  const [all, setAll] = useState(true);
  const [events, setEvents] = useState<string[]>(['grant.set', 'grant.revoked']);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await onCreated(await webhookApi.create(orgId, { url: url.trim(), events: all ? ['*'] : events }));
      setUrl('');
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="stacked" onSubmit={submit} aria-labelledby="new-webhook-title">
      <h3 id="new-webhook-title">Add a webhook</h3>
      <Field label="Endpoint URL" hint="https:// only; addresses inside your network are refused.">
        {(id, describedBy) => (
          <input
            id={id}
            type="url"
            required
            maxLength={2048}
            value={url}
            placeholder="https://hooks.example.com/tessera"
            aria-describedby={describedBy}
            onChange={(e) => setUrl(e.target.value)}
          />
        )}
      </Field>
      <fieldset>
        <legend>Events</legend>
        <label className="level-option">
          <input type="radio" name="webhook-events" checked={all} onChange={() => setAll(true)} />
          <span>Every event, including types added later</span>
        </label>
        <label className="level-option">
          <input type="radio" name="webhook-events" checked={!all} onChange={() => setAll(false)} />
          <span>Only these:</span>
        </label>
        {all
          ? null
          : ACCESS_EVENTS.map((type) => (
              <label key={type} className="level-option">
                <input
                  type="checkbox"
                  checked={events.includes(type)}
                  onChange={(e) => setEvents(e.target.checked ? [...events, type] : events.filter((t) => t !== type))}
                />
                <code>{type}</code>
              </label>
            ))}
      </fieldset>
      <ErrorNote error={error} />
      <div>
        <button type="submit" className="primary" disabled={busy || (!all && events.length === 0)}>
          Add webhook
        </button>
      </div>
    </form>
  );
}

function stateOf(d: WebhookDelivery): string {
  if (d.status === 'delivered') return `delivered (${d.responseStatus ?? '—'})`;
  const tried = d.error !== null || d.responseStatus !== null;
  if (d.status === 'pending' && !tried) return d.attempts === 0 ? 'waiting' : 'being sent';
  const why = d.error ?? (d.responseStatus === null ? 'not tried' : `answered ${d.responseStatus}`);
  if (d.status === 'failed') return `failed: ${why}`;
  return d.nextAttemptAt ? `retrying: ${why}, next attempt ${formatDate(d.nextAttemptAt)}` : `retrying: ${why}`;
}

/** A delivery as something on its way out (lookAgainIn): one waiting has a time it is due. */
const outgoing = (d: WebhookDelivery) => ({ sending: d.status === 'pending' && d.nextAttemptAt === null, dueAt: d.nextAttemptAt });

/** The latest deliveries of one webhook, looked at again every few seconds while one is being sent or is due. */
function Deliveries({ id }: { id: string }) {
  const answer = useQuery({
    queryKey: ['webhook', id, 'deliveries'],
    queryFn: ({ signal }) => cancellable(signal, () => webhookApi.deliveries(id)),
    refetchInterval: (query) => lookAgainIn((query.state.data?.items ?? []).map(outgoing), 3_000),
  });
  const items: WebhookDelivery[] | null = answer.data?.items ?? null;
  const error = answer.error;
  if (error) return <ErrorNote error={error} />;
  if (items === null) return <Spinner />;
  if (items.length === 0) return <p className="muted small">No deliveries yet.</p>;
  return (
    <table aria-label="Deliveries">
      <TableHeader columns={['Event', 'When', 'Attempts', 'State']} />
      <tbody>
        {items.map((d) => (
          <tr key={d.id}>
            <td>
              <code>{d.event}</code>
            </td>
            <td className="muted">{formatDate(d.createdAt)}</td>
            <td>{plural(d.attempts, 'attempt')}</td>
            <td className={`delivery-${d.status}`}>{stateOf(d)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
