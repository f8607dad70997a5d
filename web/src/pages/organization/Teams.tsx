import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, type Member, type Team } from '../../api';
import { Confirm, ErrorNote, Field, plural, Spinner } from '../../components/ui';
import { keys, queries } from '../../queries';

/** A team, opened to show its members; admins add and remove members, rename and delete it. */
function TeamRow({ orgId, team, members, manage }: { orgId: string; team: Team; members: Member[]; manage: boolean }) {
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const answer = useQuery({ ...queries.team(team.id), enabled: open });
  const people = answer.data?.members ?? null;
  const [failure, setError] = useState<unknown>(null);
  const error = failure ?? answer.error;
  const [name, setName] = useState(team.name);
  const [deleting, setDeleting] = useState(false);
  const reload = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: keys.team(team.id) }),
      queryClient.invalidateQueries({ queryKey: keys.org(orgId) }),
    ]);
  const act = (run: () => Promise<unknown>) => {
    setError(null);
    return run().then(reload, setError);
  };
  return (
    <li className="team">
      <button type="button" className="link" aria-expanded={open} onClick={() => setOpen(!open)}>
        {team.name} <span className="muted">({plural(team.memberCount, 'member')})</span>
      </button>
      {open ? (
        <div className="team-body">
          {people === null ? <Spinner /> : null}
          <ul>
            {people?.map((p) => (
              <li key={p.id}>
                {p.name} <span className="muted">{p.email}</span>
                {manage ? (
                  <button
                    type="button"
                    className="ghost"
                    onClick={() => void act(() => api.removeTeamMember(team.id, p.id))}
                    aria-label={`Remove ${p.name} from ${team.name}`}
                  >
                    Remove
                  </button>
                ) : null}
              </li>
            ))}
          </ul>
          {manage ? (
            <select
              aria-label={`Add a member to ${team.name}`}
              value=""
              onChange={(e) => e.target.value && void act(() => api.addTeamMember(team.id, e.target.value))}
            >
              <option value="">Add a member…</option>
              {members
                .filter((m) => !people?.some((p) => p.id === m.user.id))
                .map((m) => (
                  <option key={m.user.id} value={m.user.id}>
                    {m.user.name}
                  </option>
                ))}
            </select>
          ) : null}
          {manage ? (
            <div className="team-actions">
              <form
                className="inline"
                onSubmit={(e) => {
                  e.preventDefault();
                  void act(() => api.renameTeam(team.id, name));
                }}
              >
                <input aria-label={`New name for ${team.name}`} value={name} onChange={(e) => setName(e.target.value)} required />
                <button type="submit" aria-label={`Rename ${team.name}`} disabled={!name.trim() || name.trim() === team.name}>
                  Rename
                </button>
              </form>
              <button type="button" className="danger" aria-label={`Delete team ${team.name}`} onClick={() => setDeleting(true)}>
                Delete team
              </button>
            </div>
          ) : null}
          {deleting ? (
            <Confirm
              title={`Delete the team ${team.name}?`}
              confirmLabel="Delete team"
              onClose={() => setDeleting(false)}
              onConfirm={() => void act(() => api.deleteTeam(team.id))}
            >
              <p>
                Every dataset shared with the team stops being shared with it, at once. Its {plural(team.memberCount, 'member')} keep any
                other access they have. The audit log keeps the team's history.
              </p>
            </Confirm>
          ) : null}
          <ErrorNote error={error} />
        </div>
      ) : null}
    </li>
  );
}

/** The organization's teams; admins create them. */
export function Teams({ orgId, members, manage }: { orgId: string; members: Member[]; manage: boolean }) {
  const queryClient = useQueryClient();
  const answer = useQuery(queries.teams(orgId));
  const teams = answer.data?.items ?? [];
  const [teamName, setTeamName] = useState('');
  const [error, setError] = useState<unknown>(null);
  return (
    <section className="card" aria-labelledby="teams-title">
      <h2 id="teams-title">Teams</h2>
      {manage ? (
        <form
          className="inline"
          onSubmit={(e) => {
            e.preventDefault();
            setError(null);
            api.createTeam(orgId, teamName).then(() => {
              setTeamName('');
              return queryClient.invalidateQueries({ queryKey: keys.org(orgId) });
            }, setError);
          }}
        >
          <Field label="New team">
            {(fid) => (
              <input id={fid} value={teamName} onChange={(e) => setTeamName(e.target.value)} required placeholder="e.g. Labelers" />
            )}
          </Field>
          <button type="submit">Create team</button>
        </form>
      ) : null}
      <ErrorNote error={error ?? answer.error} />
      {teams.length === 0 ? (
        <p className="muted">No teams yet.</p>
      ) : (
        <ul className="teams">
          {teams.map((t) => (
            <TeamRow key={t.id} orgId={orgId} team={t} members={members} manage={manage} />
          ))}
        </ul>
      )}
    </section>
  );
}
