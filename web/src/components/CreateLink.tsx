import { type FormEvent, useState } from 'react';
import { LEVEL_HELP, type LinkLevel, linkApi, type ShareLink } from '../api';
import { DatePicker, dayFromNow } from './DatePicker';
import { SecretOnce } from './SecretOnce';
import { ErrorNote, Field, formatDate } from './ui';

const DAY = 24 * 3_600_000;
const LINK_LEVELS: { level: LinkLevel; label: string }[] = [
  { level: 'read', label: 'read (view)' },
  { level: 'annotate', label: 'annotate (review)' },
];

/** The end of the chosen day, but never past the 30 days a link may last. */
function endOf(day: string): string {
  const end = Math.min(Date.parse(`${day}T23:59:59Z`), Date.now() + 30 * DAY - 60_000);
  return new Date(end).toISOString();
}

const domainsOf = (text: string) =>
  text
    .split(/[\s,;]+/)
    .map((d) => d.trim())
    .filter(Boolean);

/** "Create link" in the Share panel: the url is shown here once, with a Copy button, and never again. */
export function CreateLink({ datasetId, onCreated }: { datasetId: string; onCreated(): void }) {
  const [name, setName] = useState('');
  const [level, setLevel] = useState<LinkLevel>('read');
  const [day, setDay] = useState(dayFromNow(7));
  const [maxUses, setMaxUses] = useState('');
  const [domains, setDomains] = useState('');
  const [membersOnly, setMembersOnly] = useState(false);
  const [created, setCreated] = useState<(ShareLink & { url: string }) | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  async function create(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const link = await linkApi.create(datasetId, {
        name: name.trim() || 'Link',
        level,
        expiresAt: endOf(day),
        maxUses: maxUses ? Number(maxUses) : null,
        allowedDomains: domainsOf(domains),
        membersOnly,
      });
      setCreated(link);
      onCreated();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  if (created) {
    return (
      <SecretOnce title={`Link “${created.name}” is ready`} label="Link" secret={created.url}>
        <p className="notice">
          Copy it now: it is shown only this once. Anyone who fits its rules can use it until {formatDate(created.expiresAt)}
          {created.maxUses ? `, ${created.maxUses} times at most` : ''}.
        </p>
      </SecretOnce>
    );
  }

  return (
    <section className="create-link" aria-labelledby="create-link-title">
      <h3 id="create-link-title">Create link</h3>
      <p className="muted">Anyone who opens the link, logs in with a confirmed address and fits its rules gets access at its level.</p>
      <form onSubmit={create}>
        <Field label="Link name" hint="Only admins see it, in sharing settings.">
          {(id) => <input id={id} value={name} onChange={(e) => setName(e.target.value)} maxLength={200} placeholder="Partner review" />}
        </Field>
        <Field label="Link level" hint={LEVEL_HELP[level]}>
          {(id) => (
            <select id={id} value={level} onChange={(e) => setLevel(e.target.value as LinkLevel)}>
              {LINK_LEVELS.map((l) => (
                <option key={l.level} value={l.level}>
                  {l.label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <div className="field-row">
          <Field label="Works until" hint="At most 30 days ahead.">
            {(id, describedBy) => (
              <DatePicker
                id={id}
                describedBy={describedBy}
                required
                value={day}
                min={dayFromNow(0)}
                max={dayFromNow(30)}
                onChange={setDay}
                words={day ? `until ${formatDate(endOf(day))}` : null}
              />
            )}
          </Field>
          <Field label="Max uses" hint="Empty: no cap.">
            {(id) => (
              <input
                id={id}
                type="number"
                min={1}
                step={1}
                inputMode="numeric"
                value={maxUses}
                onChange={(e) => setMaxUses(e.target.value)}
              />
            )}
          </Field>
        </div>
        <Field label="Allowed e-mail domains" hint="Optional, e.g. partner.org, lab.edu. Empty: any address.">
          {(id) => <input id={id} value={domains} onChange={(e) => setDomains(e.target.value)} placeholder="partner.org" />}
        </Field>
        <label className="check">
          <input type="checkbox" checked={membersOnly} onChange={(e) => setMembersOnly(e.target.checked)} />
          Organization members only
        </label>
        <ErrorNote error={error} />
        <footer className="actions">
          <button type="submit" className="primary" disabled={busy}>
            Create link
          </button>
        </footer>
      </form>
    </section>
  );
}
