import { useCallback, useEffect, useState } from 'react';
import { api, type Dataset, LEVELS, type Level, type LevelChange, type Sharing, TIER_LABEL } from '../api';
import { Dialog, ErrorNote, formatDate, Spinner, timeLeft } from './ui';
import { Why } from './Why';

interface Pending {
  label: string;
  run(): Promise<unknown>;
  /** What the removal would change, shown before it is confirmed. */
  preview?: { removeUserId?: string; removeTeamId?: string };
}

function RevokePreview({ datasetId, change }: { datasetId: string; change: NonNullable<Pending['preview']> }) {
  const [losses, setLosses] = useState<LevelChange[] | null>(null);
  useEffect(() => {
    api.preview(datasetId, change).then(
      (p) => setLosses(p.losses),
      () => setLosses([]),
    );
  }, [datasetId, change]);
  if (!losses) return <Spinner label="Working out who loses access…" />;
  if (losses.length === 0) return <p className="muted">Nobody loses access: they keep it through another path.</p>;
  return (
    <ul className="changes" aria-label="Who loses access">
      {losses.map((l) => (
        <li key={l.user.id}>
          <strong>{l.user.name}</strong>: {l.from} → {l.to ?? 'no access'}
        </li>
      ))}
    </ul>
  );
}

/** Who has access and through what; level changes in place; revoke with a confirmation. */
export function SharingSettings({ dataset, version, onChange }: { dataset: Dataset; version: number; onChange(): void }) {
  const [sharing, setSharing] = useState<Sharing | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [confirm, setConfirm] = useState<Pending | null>(null);
  const load = useCallback(() => api.sharing(dataset.id).then(setSharing, setError), [dataset.id]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `version` is the signal to reload after a share.
  useEffect(() => {
    void load();
  }, [load, version]);

  async function act(run: () => Promise<unknown>) {
    setError(null);
    try {
      await run();
      await load();
      onChange();
    } catch (caught) {
      setError(caught);
    }
  }

  if (!sharing) return error ? <ErrorNote error={error} /> : <Spinner />;
  const tier = TIER_LABEL[sharing.visibility];
  return (
    <section className="card" aria-labelledby="sharing-title">
      <h2 id="sharing-title">Sharing settings</h2>
      <p className="muted">
        Shared with: <strong>{tier}</strong>.{' '}
        {sharing.visibility === 'admins'
          ? 'Only organization admins and the people and teams below have access.'
          : 'Every organization member can read it.'}{' '}
        Organization admins always have admin access.
      </p>
      <ErrorNote error={error} />
      <h3>People</h3>
      <table>
        <thead>
          <tr>
            <th scope="col">Person</th>
            <th scope="col">Level</th>
            <th scope="col">Through</th>
            <th scope="col">Until</th>
            <th scope="col">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {sharing.users.map((g) => (
            <tr key={g.user.id} className={g.active ? '' : 'dormant'}>
              <td>
                <strong>{g.user.name}</strong>
                <div className="muted">{g.user.email}</div>
                <div className="muted">
                  {g.grantedBy ? `granted by ${g.grantedBy.name}` : 'granted'} on {formatDate(g.createdAt)}
                </div>
              </td>
              <td>
                <select
                  aria-label={`Level of ${g.user.name}`}
                  value={g.level}
                  onChange={(e) => void act(() => api.setUserGrant(dataset.id, g.user.id, e.target.value as Level, g.expiresAt))}
                >
                  {LEVELS.map((l) => (
                    <option key={l}>{l}</option>
                  ))}
                </select>
              </td>
              <td>
                <details>
                  <summary>direct{g.external ? <span className="chip warn">external</span> : null}</summary>
                  <Why datasetId={dataset.id} userId={g.user.id} label={`Why ${g.user.name} has access`} />
                </details>
                {g.active ? null : (
                  <span className="chip muted-chip" title="Not in force while the dataset is not shared with external accessors">
                    dormant
                  </span>
                )}
              </td>
              <td>
                <input
                  type="date"
                  aria-label={`Access of ${g.user.name} until`}
                  value={g.expiresAt ? g.expiresAt.slice(0, 10) : ''}
                  onChange={(e) =>
                    void act(() =>
                      api.setUserGrant(
                        dataset.id,
                        g.user.id,
                        g.level,
                        e.target.value ? new Date(`${e.target.value}T23:59:59Z`).toISOString() : null,
                      ),
                    )
                  }
                />
                {g.expiresAt ? <div className="muted">{timeLeft(g.expiresAt)}</div> : null}
              </td>
              <td>
                <button
                  type="button"
                  className="danger"
                  onClick={() =>
                    setConfirm({
                      label: `Revoke ${g.user.name}'s ${g.level} access to “${dataset.name}”?`,
                      run: () => api.revokeUser(dataset.id, g.user.id),
                      preview: { removeUserId: g.user.id },
                    })
                  }
                >
                  Revoke
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Teams</h3>
      {sharing.teams.length === 0 ? (
        <p className="muted">No team has a grant. Use Share to add one.</p>
      ) : (
        <table>
          <tbody>
            {sharing.teams.map((t) => (
              <tr key={t.team.id}>
                <td>
                  <strong>{t.team.name}</strong> <span className="muted">({t.team.memberCount} members)</span>
                </td>
                <td>
                  <select
                    aria-label={`Level of team ${t.team.name}`}
                    value={t.level}
                    onChange={(e) => void act(() => api.setTeamGrant(dataset.id, t.team.id, e.target.value as Level))}
                  >
                    {LEVELS.map((l) => (
                      <option key={l}>{l}</option>
                    ))}
                  </select>
                </td>
                <td>{t.expiresAt ? timeLeft(t.expiresAt) : ''}</td>
                <td>
                  <button
                    type="button"
                    className="danger"
                    onClick={() =>
                      setConfirm({
                        label: `Revoke team ${t.team.name}'s access?`,
                        run: () => api.revokeTeam(dataset.id, t.team.id),
                        preview: { removeTeamId: t.team.id },
                      })
                    }
                  >
                    Revoke
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h3>Invitations</h3>
      {sharing.invitations.length === 0 ? (
        <p className="muted">No open invitations.</p>
      ) : (
        <table>
          <tbody>
            {sharing.invitations.map((i) => (
              <tr key={i.id}>
                <td>
                  <strong>{i.email}</strong>
                  <div className="muted">
                    {i.level} · invited by {i.invitedBy.name} on {formatDate(i.createdAt)}
                  </div>
                </td>
                <td>
                  <span className={`chip status-${i.status}`}>{i.status}</span>
                  {i.status === 'pending' ? <div className="muted">{timeLeft(i.expiresAt)}</div> : null}
                </td>
                <td>
                  <span className={`chip delivery-${i.delivery}`} title={i.lastError ?? ''}>
                    e-mail {i.delivery}
                  </span>
                </td>
                <td className="row-actions">
                  {i.status === 'pending' || i.status === 'expired' ? (
                    <>
                      <button type="button" onClick={() => void act(() => api.extendInvitation(i.id))}>
                        Extend
                      </button>
                      <button type="button" onClick={() => void act(() => api.resendInvitation(i.id))}>
                        Resend
                      </button>
                      <button
                        type="button"
                        className="danger"
                        onClick={() => setConfirm({ label: `Revoke the invitation to ${i.email}?`, run: () => api.revokeInvitation(i.id) })}
                      >
                        Revoke
                      </button>
                    </>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {confirm ? (
        <Dialog title="Please confirm" onClose={() => setConfirm(null)}>
          <p>{confirm.label}</p>
          {confirm.preview ? <RevokePreview datasetId={dataset.id} change={confirm.preview} /> : null}
          <p className="muted">It takes effect on their very next request.</p>
          <footer className="actions">
            <button type="button" onClick={() => setConfirm(null)}>
              Cancel
            </button>
            <button
              type="button"
              className="danger"
              onClick={() => {
                const pending = confirm;
                setConfirm(null);
                void act(pending.run);
              }}
            >
              Yes, revoke
            </button>
          </footer>
        </Dialog>
      ) : null}
    </section>
  );
}
