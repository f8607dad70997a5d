import { useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api, type Role } from '../../api';
import { ErrorNote, Field } from '../../components/ui';
import { keys } from '../../queries';

/** Invites people to join the organization by e-mail, as members or admins. */
export function InviteMembers({ orgId }: { orgId: string }) {
  const queryClient = useQueryClient();
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
      void queryClient.invalidateQueries({ queryKey: keys.org(orgId) });
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
