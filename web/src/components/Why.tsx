import { useQuery } from '@tanstack/react-query';
import type { AccessPath } from '../api';
import { queries } from '../queries';
import { formatDate, LevelBadge } from './ui';

function describe(path: AccessPath): string {
  switch (path.kind) {
    case 'org_admin':
      return 'admin of the organization';
    case 'visibility':
      return 'the dataset is shared with the whole organization';
    case 'team':
      return `team ${path.team?.name ?? ''}${path.expiresAt ? ` until ${formatDate(path.expiresAt)}` : ''}`;
    case 'direct':
      return `shared directly${path.expiresAt ? ` until ${formatDate(path.expiresAt)}` : ''}`;
  }
}

/** Every path that gives a user access, from the same rule as the check. */
export function Why({ datasetId, userId, label }: { datasetId: string; userId: string; label: string }) {
  const answer = useQuery(queries.explain(datasetId, userId));
  const paths: AccessPath[] | null = answer.isError ? [] : (answer.data?.paths ?? null);
  if (!paths) return null;
  if (paths.length === 0) return <p className="muted">No access right now.</p>;
  return (
    <ul className="why" aria-label={label}>
      {paths.map((p, i) => (
        <li key={`${p.kind}-${p.team?.id ?? i}`}>
          <LevelBadge level={p.level} /> {describe(p)}
        </li>
      ))}
    </ul>
  );
}
