import { useCallback, useEffect, useState } from 'react';
import { api, type Dataset, LEVELS, type Level, type LevelChange, type Sharing, TIER_HELP, TIER_LABEL } from '../api';
import { levelLabel } from '../levels';
import { InvitationList } from './InvitationList';
import { LinkList } from './LinkList';
import { OrgAccess } from './OrgAccess';
import { Confirm, ErrorNote, formatDay, plural, Spinner, until, useChanges } from './ui';
import { Why } from './Why';

/** A date picked as "until" means to the end of that day (UTC); an empty picker, no end. */
function untilEndOf(day: string): string | null {
  return day ? new Date(`${day}T23:59:59Z`).toISOString() : null;
}

interface Pending {
  label: string;
  run(): Promise<unknown>;
  /** What the removal would change, shown before it is confirmed. */
  preview?: { removeUserId?: string; removeTeamId?: string };
}

function RevokePreview({ datasetId, change }: { datasetId: string; change: NonNullable<Pending['preview']> }) {
  const [losses, setLosses] = useState<LevelChange[] | 'unavailable' | null>(null);
  useEffect(() => {
    api.preview(datasetId, change).then(
      (p) => setLosses(p.losses),
      () => setLosses('unavailable'),
    );
  }, [datasetId, change]);
  if (losses === 'unavailable') return null;
  if (!losses) return <Spinner label="Working out who loses access…" />;
  if (losses.length === 0) return <p className="muted">Nobody loses access: they keep it through another path.</p>;
  return (
    <ul className="changes" aria-label="Who loses access">
      {losses.map((l) => (
        <li key={l.user.id}>
          <strong>{l.user.name}</strong>: {levelLabel(l.from)} → {levelLabel(l.to)}
        </li>
      ))}
    </ul>
  );
}

/** Who has access and through what; level changes in place; revoke with a confirmation. */
export function SharingSettings({ dataset, version, onChange }: { dataset: Dataset; version: number; onChange(): void }) {
  const [sharing, setSharing] = useState<Sharing | null>(null);
  const changes = useChanges();
  const { error, setError, notice } = changes;
  const [confirm, setConfirm] = useState<Pending | null>(null);
  const load = useCallback(() => api.sharing(dataset.id).then(setSharing, setError), [dataset.id, setError]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `version` is the signal to reload after a share.
  useEffect(() => {
    void load();
  }, [load, version]);

  const act = (run: () => Promise<unknown>, done: string | null = null) =>
    changes.act(
      async () => {
        await run();
        onChange();
      },
      done,
      load,
    );

  /** Shows a level change at once; the reload that follows confirms or undoes it. */
  function changeLevel(subject: { userId?: string; teamId?: string }, level: Level) {
    setSharing(
      (current) =>
        current && {
          ...current,
          users: current.users.map((g) => (g.user.id === subject.userId ? { ...g, level } : g)),
          teams: current.teams.map((t) => (t.team.id === subject.teamId ? { ...t, level } : t)),
        },
    );
  }

  if (!sharing) return error ? <ErrorNote error={error} /> : <Spinner />;
  const tier = TIER_LABEL[sharing.visibility];
  return (
    <section className="card" aria-labelledby="sharing-title">
      <h2 id="sharing-title">Sharing settings</h2>
      <p className="muted">
        Shared With: <strong>{tier}</strong>. {TIER_HELP[sharing.visibility]}
      </p>
      <ErrorNote error={error} />
      <OrgAccess orgId={dataset.orgId} visibility={sharing.visibility} />
      <h3>People</h3>
      {sharing.users.length === 0 ? <p className="muted">Nobody has a direct grant. Use Share to invite people by e-mail.</p> : null}
      <table hidden={sharing.users.length === 0}>
        <thead>
          <tr>
            <th scope="col">Person</th>
            <th scope="col">Level</th>
            <th scope="col">Through</th>
            <th scope="col">Until (end of the day, UTC)</th>
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
                  {g.grantedBy ? `granted by ${g.grantedBy.name}` : 'granted'} on {formatDay(g.createdAt)}
                </div>
              </td>
              <td>
                <select
                  aria-label={`Level of ${g.user.name}`}
                  value={g.level}
                  onChange={(e) => {
                    const level = e.target.value as Level;
                    changeLevel({ userId: g.user.id }, level);
                    void act(() => api.setUserGrant(dataset.id, g.user.id, level, g.expiresAt));
                  }}
                >
                  {LEVELS.map((l) => (
                    <option key={l} value={l}>
                      {levelLabel(l)}
                    </option>
                  ))}
                </select>
              </td>
              <td>
                <details>
                  <summary>
                    direct
                    {g.external ? (
                      <span className="chip warn" title="Not a member of the organization">
                        external
                      </span>
                    ) : null}
                    {g.active ? null : <span className="chip muted-chip">dormant</span>}
                  </summary>
                  <Why datasetId={dataset.id} userId={g.user.id} label={`Why ${g.user.name} has access`} />
                </details>
                {g.active ? null : (
                  <div className="muted small">Paused: the tier does not include external accessors. It resumes if the tier does.</div>
                )}
              </td>
              <td>
                <input
                  type="date"
                  aria-label={`Access of ${g.user.name} until`}
                  value={g.expiresAt ? g.expiresAt.slice(0, 10) : ''}
                  onChange={(e) => void act(() => api.setUserGrant(dataset.id, g.user.id, g.level, untilEndOf(e.target.value)))}
                />
                {g.expiresAt ? <div className="muted">{until(g.expiresAt)}</div> : null}
              </td>
              <td>
                <button
                  type="button"
                  className="danger"
                  onClick={() =>
                    setConfirm({
                      label: `Revoke ${g.user.name}'s ${levelLabel(g.level)} access to “${dataset.name}”?`,
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
          <thead>
            <tr>
              <th scope="col">Team</th>
              <th scope="col">Level</th>
              <th scope="col">Until (end of the day, UTC)</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {sharing.teams.map((t) => (
              <tr key={t.team.id}>
                <td>
                  <strong>{t.team.name}</strong> <span className="muted">({plural(t.team.memberCount, 'member')})</span>
                </td>
                <td>
                  <select
                    aria-label={`Level of team ${t.team.name}`}
                    value={t.level}
                    onChange={(e) => {
                      const level = e.target.value as Level;
                      changeLevel({ teamId: t.team.id }, level);
                      void act(() => api.setTeamGrant(dataset.id, t.team.id, level, t.expiresAt));
                    }}
                  >
                    {LEVELS.map((l) => (
                      <option key={l} value={l}>
                        {levelLabel(l)}
                      </option>
                    ))}
                  </select>
                </td>
                <td>
                  <input
                    type="date"
                    aria-label={`Access of team ${t.team.name} until`}
                    value={t.expiresAt ? t.expiresAt.slice(0, 10) : ''}
                    onChange={(e) => void act(() => api.setTeamGrant(dataset.id, t.team.id, t.level, untilEndOf(e.target.value)))}
                  />
                  {t.expiresAt ? <div className="muted">{until(t.expiresAt)}</div> : null}
                </td>
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
      {notice ? (
        <p className="notice" role="status">
          {notice}
        </p>
      ) : null}
      <InvitationList
        invitations={sharing.invitations}
        onExtend={(i) =>
          void act(() => api.extendInvitation(i.id), `The invitation to ${i.email} now lasts 72 more hours; the same link works.`)
        }
        onResend={(i) => void act(() => api.resendInvitation(i.id), `A new link is on its way to ${i.email}; the old one no longer works.`)}
        onRevoke={(i) => setConfirm({ label: `Revoke the invitation to ${i.email}?`, run: () => api.revokeInvitation(i.id) })}
        onQueued={() => void load()}
      />
      <LinkList datasetId={dataset.id} version={version} onChange={onChange} />
      {confirm ? (
        <Confirm title="Please confirm" confirmLabel="Yes, revoke" onClose={() => setConfirm(null)} onConfirm={() => void act(confirm.run)}>
          <p>{confirm.label}</p>
          {confirm.preview ? <RevokePreview datasetId={dataset.id} change={confirm.preview} /> : null}
          <p className="muted">It takes effect on their very next request.</p>
        </Confirm>
      ) : null}
    </section>
  );
}
