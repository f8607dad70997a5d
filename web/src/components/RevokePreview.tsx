import { useQuery } from '@tanstack/react-query';
import { api, cancellable } from '../api';
import { levelLabel } from '../levels';
import { Spinner } from './ui';

/** What removing a grant would change. */
export interface Removal {
  removeUserId?: string;
  removeTeamId?: string;
}

/** Who loses access if a grant goes, shown before the removal is confirmed. */
export function RevokePreview({ datasetId, change }: { datasetId: string; change: Removal }) {
  const preview = useQuery({
    queryKey: ['dataset', datasetId, 'removal-preview', change],
    queryFn: ({ signal }) => cancellable(signal, () => api.preview(datasetId, change)),
  });
  if (preview.isError) return null;
  if (!preview.data) return <Spinner label="Working out who loses access…" />;
  const { losses } = preview.data;
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
