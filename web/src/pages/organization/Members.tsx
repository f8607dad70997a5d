import { type InfiniteData, useInfiniteQuery, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from '@tanstack/react-router';
import { useState } from 'react';
import { api, cancellable, type Member, type OrgSummary, type Page, type Role } from '../../api';
import { RemoveMember } from '../../components/RemoveMember';
import { ErrorNote, Spinner, TableHeader } from '../../components/ui';
import { keys, showAtOnce } from '../../queries';
import { useSession } from '../../session';
import { InviteMembers } from './InviteMembers';

/** Every member page asked so far; a change asks them all again, so as many members stay on screen. */
export function useMembers(orgId: string) {
  return useInfiniteQuery({
    queryKey: keys.memberList(orgId),
    queryFn: ({ pageParam, signal }) => cancellable(signal, () => api.members(orgId, pageParam)),
    initialPageParam: null as string | null,
    getNextPageParam: (page) => page.nextCursor,
  });
}

/** The members: role and the capability to process datasets (changed in place by admins), remove or leave. */
export function Members({ org, manage }: { org: OrgSummary; manage: boolean }) {
  const { user, refresh } = useSession();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const list = useMembers(org.id);
  const members = list.data ? list.data.pages.flatMap((page) => page.items) : null;
  const [failure, setError] = useState<unknown>(null);
  const error = failure ?? list.error;
  const [removing, setRemoving] = useState<Member | null>(null);
  const reload = () => Promise.all([queryClient.invalidateQueries({ queryKey: keys.org(org.id) }), refresh()]);

  // The control shows the change at once; the server's answer then confirms or undoes it.
  async function change(member: Member, update: { role?: Role; processDatasets?: boolean }) {
    setError(null);
    showAtOnce<InfiniteData<Page<Member>>>(queryClient, keys.memberList(org.id), (data) =>
      data
        ? {
            ...data,
            pages: data.pages.map((page) => ({
              ...page,
              items: page.items.map((m) => (m.user.id === member.user.id ? { ...m, ...update } : m)),
            })),
          }
        : data,
    );
    try {
      await api.updateMember(org.id, member.user.id, update);
    } catch (caught) {
      setError(caught);
    }
    await reload();
  }

  function remove(member: Member, options: { keepGrants: boolean }) {
    setError(null);
    const leaving = member.user.id === user?.id;
    api.removeMember(org.id, member.user.id, options).then(async () => {
      if (!leaving) return void (await reload());
      await refresh();
      await navigate({ to: '/' });
    }, setError);
  }

  return (
    <section className="card" aria-labelledby="members-title">
      <h2 id="members-title">Members</h2>
      {manage ? <InviteMembers orgId={org.id} /> : null}
      <ErrorNote error={error} />
      {members === null ? (
        <Spinner />
      ) : (
        <table>
          <TableHeader columns={['Name', 'Role', 'May process datasets', 'actions']} />
          <tbody>
            {members.map((m) => (
              <tr key={m.user.id}>
                <td>
                  <strong>{m.user.name}</strong>
                  <div className="muted">{m.user.email}</div>
                </td>
                <td>
                  {manage ? (
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
                    disabled={!manage || m.role === 'admin'}
                    onChange={(e) => void change(m, { processDatasets: e.target.checked })}
                  />
                </td>
                <td>
                  {manage || m.user.id === user?.id ? (
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
      {list.hasNextPage ? (
        <button type="button" className="more" onClick={() => void list.fetchNextPage()}>
          Show more members
        </button>
      ) : null}
      {removing ? (
        <RemoveMember
          orgId={org.id}
          orgName={org.name}
          member={removing}
          self={removing.user.id === user?.id}
          onClose={() => setRemoving(null)}
          onRemove={(options) => remove(removing, options)}
        />
      ) : null}
    </section>
  );
}
