import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, type Dataset, type Level, type Sharing, TIER_HELP, TIER_LABEL } from '../api';
import { levelLabel } from '../levels';
import { keys, queries, showAtOnce } from '../queries';
import { GrantRow } from './GrantRow';
import { InvitationList } from './InvitationList';
import { LinkList } from './LinkList';
import { OrgAccess } from './OrgAccess';
import { type Removal, RevokePreview } from './RevokePreview';
import { Confirm, ErrorNote, formatDay, Notice, plural, Spinner, TableHeader, useChanges } from './ui';
import { Why } from './Why';

interface Pending {
  label: string;
  run(): Promise<unknown>;
  /** What the removal would change, shown before it is confirmed. */
  preview?: Removal;
}

/** A change to the dataset's sharing: done, then everything shown of the dataset is asked again. */
function useSharingChanges(datasetId: string) {
  const queryClient = useQueryClient();
  const changes = useChanges();
  const act = (run: () => Promise<unknown>, done: string | null = null) =>
    changes.act(run, done, () => queryClient.invalidateQueries({ queryKey: keys.dataset(datasetId) }));
  /** Shows a level change at once; the answer that follows confirms or undoes it. */
  function showLevel(subject: { userId?: string; teamId?: string }, level: Level) {
    showAtOnce<Sharing>(
      queryClient,
      keys.sharing(datasetId),
      (current) =>
        current && {
          ...current,
          users: current.users.map((g) => (g.user.id === subject.userId ? { ...g, level } : g)),
          teams: current.teams.map((t) => (t.team.id === subject.teamId ? { ...t, level } : t)),
        },
    );
  }
  return { ...changes, act, showLevel };
}

type Changes = ReturnType<typeof useSharingChanges>;

/** The people with a direct grant: level, how they have it, until when; revoke after a preview. */
function PeopleGrants({ dataset, sharing, changes, ask }: { dataset: Dataset; sharing: Sharing; changes: Changes; ask(p: Pending): void }) {
  return (
    <>
      <h3>People</h3>
      {sharing.users.length === 0 ? <p className="muted">Nobody has a direct grant. Use Share to invite people by e-mail.</p> : null}
      <table hidden={sharing.users.length === 0}>
        <TableHeader columns={['Person', 'Level', 'Through', 'Until (end of the day, UTC)', 'actions']} />
        <tbody>
          {sharing.users.map((g) => (
            <GrantRow
              key={g.user.id}
              name={g.user.name}
              who={
                <>
                  <strong>{g.user.name}</strong>
                  <div className="muted">{g.user.email}</div>
                  <div className="muted">
                    {g.grantedBy ? `granted by ${g.grantedBy.name}` : 'granted'} on {formatDay(g.createdAt)}
                  </div>
                </>
              }
              level={g.level}
              expiresAt={g.expiresAt}
              dormant={!g.active}
              through={
                <>
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
                </>
              }
              onLevel={(level) => {
                changes.showLevel({ userId: g.user.id }, level);
                void changes.act(() => api.setUserGrant(dataset.id, g.user.id, level, g.expiresAt));
              }}
              onUntil={(expiresAt) => void changes.act(() => api.setUserGrant(dataset.id, g.user.id, g.level, expiresAt))}
              onRevoke={() =>
                ask({
                  label: `Revoke ${g.user.name}'s ${levelLabel(g.level)} access to “${dataset.name}”?`,
                  run: () => api.revokeUser(dataset.id, g.user.id),
                  preview: { removeUserId: g.user.id },
                })
              }
            />
          ))}
        </tbody>
      </table>
    </>
  );
}

/** The teams with a grant: level and until when; revoke after a preview. */
function TeamGrants({ dataset, sharing, changes, ask }: { dataset: Dataset; sharing: Sharing; changes: Changes; ask(p: Pending): void }) {
  return (
    <>
      <h3>Teams</h3>
      {sharing.teams.length === 0 ? (
        <p className="muted">No team has a grant. Use Share to add one.</p>
      ) : (
        <table>
          <TableHeader columns={['Team', 'Level', 'Until (end of the day, UTC)', 'actions']} />
          <tbody>
            {sharing.teams.map((t) => (
              <GrantRow
                key={t.team.id}
                name={`team ${t.team.name}`}
                who={
                  <>
                    <strong>{t.team.name}</strong> <span className="muted">({plural(t.team.memberCount, 'member')})</span>
                  </>
                }
                level={t.level}
                expiresAt={t.expiresAt}
                onLevel={(level) => {
                  changes.showLevel({ teamId: t.team.id }, level);
                  void changes.act(() => api.setTeamGrant(dataset.id, t.team.id, level, t.expiresAt));
                }}
                onUntil={(expiresAt) => void changes.act(() => api.setTeamGrant(dataset.id, t.team.id, t.level, expiresAt))}
                onRevoke={() =>
                  ask({
                    label: `Revoke team ${t.team.name}'s access?`,
                    run: () => api.revokeTeam(dataset.id, t.team.id),
                    preview: { removeTeamId: t.team.id },
                  })
                }
              />
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

/** Who has access and through what; level changes in place; revoke with a confirmation. */
export function SharingSettings({ dataset }: { dataset: Dataset }) {
  const answer = useQuery(queries.sharing(dataset.id));
  const sharing = answer.data;
  const changes = useSharingChanges(dataset.id);
  const { notice, act } = changes;
  const error = changes.error ?? answer.error;
  const [confirm, setConfirm] = useState<Pending | null>(null);

  if (!sharing) return error ? <ErrorNote error={error} /> : <Spinner />;
  return (
    <section className="card" aria-labelledby="sharing-title">
      <h2 id="sharing-title">Sharing settings</h2>
      <p className="muted">
        Shared With: <strong>{TIER_LABEL[sharing.visibility]}</strong>. {TIER_HELP[sharing.visibility]}
      </p>
      <ErrorNote error={error} />
      <OrgAccess orgId={dataset.orgId} visibility={sharing.visibility} />
      <PeopleGrants dataset={dataset} sharing={sharing} changes={changes} ask={setConfirm} />
      <TeamGrants dataset={dataset} sharing={sharing} changes={changes} ask={setConfirm} />
      <h3>Invitations</h3>
      <Notice text={notice} />
      <InvitationList
        invitations={sharing.invitations}
        onExtend={(i) =>
          void act(() => api.extendInvitation(i.id), `The invitation to ${i.email} now lasts 72 more hours; the same link works.`)
        }
        onResend={(i) => void act(() => api.resendInvitation(i.id), `A new link is on its way to ${i.email}; the old one no longer works.`)}
        onRevoke={(i) => setConfirm({ label: `Revoke the invitation to ${i.email}?`, run: () => api.revokeInvitation(i.id) })}
        onQueued={() => void answer.refetch()}
      />
      <LinkList datasetId={dataset.id} />
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
