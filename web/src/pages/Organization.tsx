import { type FormEvent, useCallback, useEffect, useRef, useState } from 'react';
import { api, type Invitation, type Member, type Role, type Team, type User } from '../api';
import { AccessReview } from '../components/AccessReview';
import { History } from '../components/History';
import { InvitationList } from '../components/InvitationList';
import { RemoveMember } from '../components/RemoveMember';
import { ScimTokens } from '../components/ScimTokens';
import { UndeliveredMail } from '../components/UndeliveredMail';
import { Confirm, ErrorNote, Field, plural, Spinner, useChanges, useTitle } from '../components/ui';
import { Webhooks } from '../components/Webhooks';
import { navigate } from '../router';
import { useSession } from '../session';
import { OrgProjects } from './Project';

function InviteMembers({ orgId, onSent }: { orgId: string; onSent(): void }) {
  const [emails, setEmails] = useState('');
  const [role, setRole] = useState<Role>('member');
  const [result, setResult] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    try {
      const list = emails.split(/[\s,;]+/).filter(Boolean);
      const sent = await api.inviteMembers(orgId, list, role);
      setResult(`Invitations sent to ${sent.items.map((i) => i.email).join(', ')}.`);
      setEmails('');
      onSent();
    } catch (caught) {
      setError(caught);
    }
  }
  return (
    <form className="inline" onSubmit={submit} aria-label="Invite members">
      <Field label="Invite by e-mail">
        {(id) => (
          <input
            id={id}
            value={emails}
            onChange={(e) => setEmails(e.target.value)}
            placeholder="ada@example.com, bo@example.com"
            required
          />
        )}
      </Field>
      <Field label="Role">
        {(id) => (
          <select id={id} value={role} onChange={(e) => setRole(e.target.value as Role)}>
            <option value="member">member</option>
            <option value="admin">admin</option>
          </select>
        )}
      </Field>
      <button type="submit" className="primary">
        Invite
      </button>
      {result ? <p role="status">{result}</p> : null}
      <ErrorNote error={error} />
    </form>
  );
}

/** The organization's open invitations to join, with what an admin can do about each. */
function OrgInvitations({ orgId }: { orgId: string }) {
  const [invitations, setInvitations] = useState<Invitation[] | null>(null);
  const changes = useChanges();
  const { notice, error, setError } = changes;
  const [revoking, setRevoking] = useState<Invitation | null>(null);
  const load = useCallback(() => api.orgInvitations(orgId).then((r) => setInvitations(r.items), setError), [orgId, setError]);
  useEffect(() => {
    void load();
  }, [load]);
  const act = (run: () => Promise<unknown>, done: string) => changes.act(run, done, load);
  return (
    <section className="card" aria-labelledby="invitations-title">
      <h2 id="invitations-title">Invitations</h2>
      <ErrorNote error={error} />
      {notice ? (
        <p role="status" className="notice">
          {notice}
        </p>
      ) : null}
      {invitations === null ? (
        <Spinner />
      ) : (
        <InvitationList
          invitations={invitations}
          onExtend={(i) =>
            void act(() => api.extendInvitation(i.id), `The invitation to ${i.email} now lasts 72 more hours; the same link works.`)
          }
          onResend={(i) =>
            void act(() => api.resendInvitation(i.id), `A new link is on its way to ${i.email}; the old one no longer works.`)
          }
          onRevoke={(i) => setRevoking(i)}
          onQueued={() => void load()}
        />
      )}
      {revoking ? (
        <Confirm
          title="Please confirm"
          confirmLabel="Revoke"
          onClose={() => setRevoking(null)}
          onConfirm={() => void act(() => api.revokeInvitation(revoking.id), `The invitation to ${revoking.email} is revoked.`)}
        >
          <p>Revoke the invitation to {revoking.email}? Its link stops working at once.</p>
        </Confirm>
      ) : null}
    </section>
  );
}

function TeamRow({ team, members, isAdmin, onChange }: { team: Team; members: Member[]; isAdmin: boolean; onChange(): void }) {
  const [open, setOpen] = useState(false);
  const [people, setPeople] = useState<User[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [name, setName] = useState(team.name);
  const [deleting, setDeleting] = useState(false);
  const load = useCallback(() => api.team(team.id).then((t) => setPeople(t.members), setError), [team.id]);
  useEffect(() => {
    if (open) void load();
  }, [open, load]);
  const act = (run: () => Promise<unknown>) => run().then(() => Promise.all([load(), onChange()]), setError);
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
                {isAdmin ? (
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
          {isAdmin ? (
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
          {isAdmin ? (
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
              onConfirm={() => void api.deleteTeam(team.id).then(onChange, setError)}
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

export function Organization({ id }: { id: string }) {
  const { user, organizations, refresh } = useSession();
  const org = organizations.find((o) => o.id === id);
  useTitle(org?.name ?? null);
  const [members, setMembers] = useState<Member[] | null>(null);
  const [teams, setTeams] = useState<Team[]>([]);
  const [teamName, setTeamName] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [removing, setRemoving] = useState<Member | null>(null);
  // Bumped after every load, so the audit log and the access review show the change just made.
  const [version, setVersion] = useState(0);
  const [moreMembers, setMoreMembers] = useState<string | null>(null);
  // How many members are on screen: a reload after a change brings back as many, not only the first page.
  const shown = useRef(0);
  const load = useCallback(async () => {
    try {
      let page = await api.members(id);
      const all = [...page.items];
      while (page.nextCursor && all.length < shown.current) {
        page = await api.members(id, page.nextCursor);
        all.push(...page.items);
      }
      shown.current = all.length;
      setMembers(all);
      setMoreMembers(page.nextCursor);
      setTeams((await api.teams(id)).items);
      setVersion((v) => v + 1);
    } catch (caught) {
      setError(caught);
    }
  }, [id]);
  useEffect(() => {
    void load();
  }, [load]);
  if (!org) return <main className="page">{organizations.length ? <p>This organization was not found.</p> : <Spinner />}</main>;
  const isAdmin = org.role === 'admin';
  const act = (run: () => Promise<unknown>) => run().then(() => Promise.all([load(), refresh()]), setError);
  // The control shows the change at once; the server's answer then confirms or undoes it.
  async function change(member: Member, update: { role?: Role; processDatasets?: boolean }) {
    setError(null);
    setMembers((list) => list?.map((m) => (m.user.id === member.user.id ? { ...m, ...update } : m)) ?? null);
    try {
      await api.updateMember(id, member.user.id, update);
      await refresh();
    } catch (caught) {
      setError(caught);
    }
    await load();
  }

  return (
    <main className="page">
      <header className="page-header">
        <div>
          <h1>{org.name}</h1>
          <p className="muted">
            You are {isAdmin ? 'an admin' : 'a member'} of this organization
            {members ? ` · ${plural(members.length, 'member')} · ${plural(teams.length, 'team')}` : ''}
          </p>
        </div>
      </header>
      <ErrorNote error={error} />
      <section className="card" aria-labelledby="members-title">
        <h2 id="members-title">Members</h2>
        {isAdmin ? <InviteMembers orgId={id} onSent={() => void load()} /> : null}
        {members === null ? (
          <Spinner />
        ) : (
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Role</th>
                <th scope="col">May process datasets</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {members.map((m) => (
                <tr key={m.user.id}>
                  <td>
                    <strong>{m.user.name}</strong>
                    <div className="muted">{m.user.email}</div>
                  </td>
                  <td>
                    {isAdmin ? (
                      <select
                        aria-label={`Role of ${m.user.name}`}
                        value={m.role}
                        onChange={(e) => void change(m, { role: e.target.value as Role })}
                      >
                        <option value="member">member</option>
                        <option value="admin">admin</option>
                      </select>
                    ) : (
                      m.role
                    )}
                  </td>
                  <td>
                    <input
                      type="checkbox"
                      aria-label={`${m.user.name} may process datasets`}
                      checked={m.processDatasets}
                      disabled={!isAdmin || m.role === 'admin'}
                      onChange={(e) => void change(m, { processDatasets: e.target.checked })}
                    />
                  </td>
                  <td>
                    {isAdmin || m.user.id === user?.id ? (
                      <button type="button" className="danger" onClick={() => setRemoving(m)}>
                        {m.user.id === user?.id ? 'Leave' : 'Remove'}
                      </button>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {moreMembers ? (
          <button
            type="button"
            className="more"
            onClick={() =>
              void api.members(id, moreMembers).then((page) => {
                setMembers((list) => {
                  const all = [...(list ?? []), ...page.items];
                  shown.current = all.length;
                  return all;
                });
                setMoreMembers(page.nextCursor);
              }, setError)
            }
          >
            Show more members
          </button>
        ) : null}
      </section>
      {isAdmin ? <OrgInvitations key={`invitations-${version}`} orgId={id} /> : null}
      <section className="card" aria-labelledby="teams-title">
        <h2 id="teams-title">Teams</h2>
        {isAdmin ? (
          <form
            className="inline"
            onSubmit={(e) => {
              e.preventDefault();
              void act(() => api.createTeam(id, teamName)).then(() => setTeamName(''));
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
        {teams.length === 0 ? (
          <p className="muted">No teams yet.</p>
        ) : (
          <ul className="teams">
            {teams.map((t) => (
              <TeamRow key={t.id} team={t} members={members ?? []} isAdmin={isAdmin} onChange={() => void load()} />
            ))}
          </ul>
        )}
      </section>
      <OrgProjects orgId={id} />
      {isAdmin ? <AccessReview key={`review-${version}`} orgId={id} /> : null}
      {isAdmin ? <UndeliveredMail key={`undelivered-${version}`} orgId={id} /> : null}
      {isAdmin ? <ScimTokens orgId={id} /> : null}
      {isAdmin ? <Webhooks orgId={id} /> : null}
      {isAdmin ? <History key={`history-${version}`} orgId={id} /> : null}
      {removing ? (
        <RemoveMember
          orgId={id}
          orgName={org.name}
          member={removing}
          self={removing.user.id === user?.id}
          onClose={() => setRemoving(null)}
          onRemove={(options) => {
            if (removing.user.id === user?.id) {
              void api
                .removeMember(id, removing.user.id, options)
                .then(refresh)
                .then(() => navigate('/'), setError);
            } else void act(() => api.removeMember(id, removing.user.id, options));
          }}
        />
      ) : null}
    </main>
  );
}
