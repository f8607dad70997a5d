import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, cancellable, type Level } from '../api';
import { levelLabel } from '../levels';
import { keys } from '../queries';
import { ErrorNote, formatDate, isMissing, Spinner } from './ui';

export interface ReviewItem {
  datasetId: string;
  datasetName: string;
  subject: { kind: 'user'; user: { id: string; name: string; email: string } } | { kind: 'team'; team: { id: string; name: string } };
  level: string;
  external: boolean;
  lastUsedAt: string | null;
  createdAt: string;
  reasons: ('external' | 'unused')[];
}

const keyOf = (i: ReviewItem) => `${i.datasetId}/${i.subject.kind === 'user' ? i.subject.user.id : i.subject.team.id}`;

/** Grants to external accessors and grants unused for 90 days, to revoke in bulk. */
export function AccessReview({ orgId }: { orgId: string }) {
  const queryClient = useQueryClient();
  const review = useQuery({
    queryKey: keys.accessReview(orgId),
    queryFn: ({ signal }) => cancellable(signal, () => api.accessReview(orgId)),
  });
  const items = (review.data?.items as ReviewItem[] | undefined) ?? null;
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const [failure, setError] = useState<unknown>(null);
  const error = failure ?? review.error;
  // Revoked grants change the organization's audit log and its datasets' sharing too.
  const load = () =>
    Promise.all([queryClient.invalidateQueries({ queryKey: keys.org(orgId) }), queryClient.invalidateQueries({ queryKey: ['dataset'] })]);
  async function revokeChosen() {
    setError(null);
    try {
      for (const item of items ?? []) {
        if (!chosen.has(keyOf(item))) continue;
        if (item.subject.kind === 'user') await api.revokeUser(item.datasetId, item.subject.user.id);
        else await api.revokeTeam(item.datasetId, item.subject.team.id);
      }
      setChosen(new Set());
      await load();
    } catch (caught) {
      setError(caught);
    }
  }
  if (items === null && isMissing(error)) return null;
  return (
    <section className="card" aria-labelledby="review-title">
      <header className="section-header">
        <h2 id="review-title">Access review</h2>
        <button type="button" className="danger" disabled={chosen.size === 0} onClick={() => void revokeChosen()}>
          Revoke selected ({chosen.size})
        </button>
      </header>
      <p className="muted">Grants to people outside the organization, and grants nobody used to read the dataset for 90 days.</p>
      <ErrorNote error={error} />
      {items === null ? (
        <Spinner />
      ) : items.length === 0 ? (
        <p className="muted">Nothing to review.</p>
      ) : (
        <table>
          <tbody>
            {items.map((item) => {
              const key = keyOf(item);
              const who =
                item.subject.kind === 'user' ? `${item.subject.user.name} (${item.subject.user.email})` : `team ${item.subject.team.name}`;
              return (
                <tr key={key}>
                  <td>
                    <input
                      type="checkbox"
                      aria-label={`Select ${who} on ${item.datasetName}`}
                      checked={chosen.has(key)}
                      onChange={(e) =>
                        setChosen((c) => {
                          const next = new Set(c);
                          if (e.target.checked) next.add(key);
                          else next.delete(key);
                          return next;
                        })
                      }
                    />
                  </td>
                  <td>
                    <strong>{who}</strong>
                    <div className="muted">{item.datasetName}</div>
                  </td>
                  <td>{levelLabel(item.level as Level)}</td>
                  <td>
                    {item.reasons.map((r) => (
                      <span key={r} className="chip warn">
                        {r === 'external' ? 'external' : 'unused 90 days'}
                      </span>
                    ))}
                  </td>
                  <td className="muted">{item.lastUsedAt ? `last read ${formatDate(item.lastUsedAt)}` : 'never read'}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
