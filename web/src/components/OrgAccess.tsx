import { useQuery } from '@tanstack/react-query';
import type { Visibility } from '../api';
import { queries } from '../queries';
import { LevelBadge } from './ui';

/**
 * Access that comes from the organization rather than from a grant: its admins always,
 * and every member while the tier includes the organization. Shown only to org members,
 * who may list the members.
 */
export function OrgAccess({ orgId, visibility }: { orgId: string; visibility: Visibility }) {
  const answer = useQuery(queries.members(orgId));
  if (!answer.data) return null;
  const members = { items: answer.data.items, more: answer.data.nextCursor !== null };
  const admins = members.items.filter((m) => m.role === 'admin');
  const count = `${members.items.length}${members.more ? '+' : ''}`;
  return (
    <ul className="org-access" aria-label="Access through the organization">
      <li>
        <LevelBadge level="admin" />
        <span>
          <strong>Organization admins</strong> ({admins.length}
          {members.more ? '+' : ''}): {admins.map((m) => m.user.name).join(', ')}
          <span className="muted"> · always, whatever the tier</span>
        </span>
      </li>
      <li className={visibility === 'admins' ? 'off' : ''}>
        <LevelBadge level={visibility === 'admins' ? null : 'read'} />
        <span>
          <strong>Every organization member</strong> ({count})
          <span className="muted">
            {visibility === 'admins' ? ' · not through the tier: it is set to Admins only' : ' · through the Shared With tier'}
          </span>
        </span>
      </li>
    </ul>
  );
}
