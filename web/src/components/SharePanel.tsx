import { useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { ApiError, api, type Invitation, LEVEL_HELP, LEVELS, type Level, type Team, TIER_LABEL } from '../api';
import { levelLabel } from '../levels';
import { queries } from '../queries';
import { CreateLink } from './CreateLink';
import { OpenToOutsiders } from './OpenToOutsiders';
import { Dialog, ErrorNote, plural } from './ui';

function parseAddresses(text: string): string[] {
  return [
    ...new Set(
      text
        .split(/[\s,;]+/)
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
}

function refusalOf(error: unknown): { emails: string[]; reason: string; remedy?: string } | null {
  if (!(error instanceof ApiError)) return null;
  const details = error.details as { emails?: string[]; invalidEmails?: string[] } | undefined;
  if (error.code === 'external_sharing_disabled' && details?.emails) {
    return {
      emails: details.emails,
      reason: 'not a member of the organization',
      remedy: `To share with people outside the organization, an organization admin sets Shared With to “${TIER_LABEL.external}” on the Datasets page. Or remove these addresses and send to the others.`,
    };
  }
  if (details?.invalidEmails) return { emails: details.invalidEmails, reason: 'not a valid e-mail address' };
  return null;
}

/** Share by e-mail: several addresses at once, one level, and optionally whole teams. */
export function SharePanel({
  datasetId,
  orgId,
  mayOpenToOutsiders,
  onClose,
  onShared,
}: {
  datasetId: string;
  orgId: string;
  /** The caller may change the tier: offered in place when sharing with outsiders is refused. */
  mayOpenToOutsiders: boolean;
  onClose(): void;
  onShared(): void;
}) {
  const [addresses, setAddresses] = useState('');
  const [level, setLevel] = useState<Level>('read');
  const teams: Team[] = useQuery(queries.teams(orgId)).data?.items ?? [];
  const [chosenTeams, setChosenTeams] = useState<string[]>([]);
  const [sent, setSent] = useState<Invitation[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  async function send(event?: FormEvent) {
    event?.preventDefault();
    const emails = parseAddresses(addresses);
    if (emails.length === 0 && chosenTeams.length === 0) {
      setError(new ApiError(400, 'invalid_request', 'Enter at least one e-mail address or pick a team.'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const invited = emails.length > 0 ? (await api.invite(datasetId, emails, level)).items : [];
      for (const teamId of chosenTeams) await api.setTeamGrant(datasetId, teamId, level);
      setSent(invited);
      onShared();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  const refused = refusalOf(error);
  return (
    <Dialog title="Share" onClose={onClose}>
      {sent ? (
        <div role="status">
          <p className="notice">
            {sent.length > 0
              ? `Invitations sent to ${sent.map((i) => i.email).join(', ')}. Links expire in 72 hours.`
              : 'Shared with the chosen teams.'}
          </p>
          <footer className="actions">
            <button type="button" className="primary" onClick={onClose}>
              Done
            </button>
          </footer>
        </div>
      ) : (
        <form onSubmit={send}>
          <div className="field">
            <label htmlFor="share-emails">E-mail addresses</label>
            <textarea
              id="share-emails"
              rows={3}
              value={addresses}
              onChange={(e) => setAddresses(e.target.value)}
              placeholder="ada@example.com, bo@partner.org — paste a list"
            />
            <small className="hint">
              {parseAddresses(addresses).length > 0 ? `${plural(parseAddresses(addresses).length, 'address', 'addresses')} · ` : ''}
              Separate addresses with commas, spaces or new lines; up to 50 at once. Each person gets a link that works for 72 hours.
            </small>
          </div>
          <fieldset className="levels">
            <legend>Access level</legend>
            {LEVELS.map((l) => (
              <label key={l} className="level-option">
                <input type="radio" name="level" value={l} checked={level === l} onChange={() => setLevel(l)} />
                <span>
                  <strong>{levelLabel(l)}</strong> — {LEVEL_HELP[l]}
                </span>
              </label>
            ))}
          </fieldset>
          {teams.length > 0 ? (
            <fieldset className="teams">
              <legend>Teams to share with (at the same level)</legend>
              {teams.map((t) => (
                <label key={t.id} className="check">
                  <input
                    type="checkbox"
                    checked={chosenTeams.includes(t.id)}
                    onChange={(e) => setChosenTeams((c) => (e.target.checked ? [...c, t.id] : c.filter((x) => x !== t.id)))}
                  />
                  {t.name} <span className="muted">({plural(t.memberCount, 'member')})</span>
                </label>
              ))}
            </fieldset>
          ) : null}
          {refused ? (
            <div className="error" role="alert">
              <p>Nothing was sent. These addresses were refused:</p>
              <ul>
                {refused.emails.map((e) => (
                  <li key={e}>
                    <strong>{e}</strong>: {refused.reason}
                  </li>
                ))}
              </ul>
              {refused.remedy ? (
                <OpenToOutsiders
                  datasetId={datasetId}
                  allowed={mayOpenToOutsiders}
                  otherwise={refused.remedy}
                  onOpened={() => void send()}
                />
              ) : null}
            </div>
          ) : (
            <ErrorNote error={error} />
          )}
          <footer className="actions">
            <button type="button" onClick={onClose}>
              Cancel
            </button>
            <button type="submit" className="primary" disabled={busy}>
              Send
            </button>
          </footer>
        </form>
      )}
      {sent ? null : <CreateLink datasetId={datasetId} onCreated={onShared} />}
    </Dialog>
  );
}
