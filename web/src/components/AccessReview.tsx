import { useCallback, useEffect, useState } from 'react';
import { api, type Level } from '../api';
import { levelLabel } from '../levels';
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
  const [items, setItems] = useState<ReviewItem[] | null>(null);
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const [error, setError] = useState<unknown>(null);
  const load = useCallback(() => api.accessReview(orgId).then((r) => setItems(r.items as ReviewItem[]), setError), [orgId]);
  useEffect(() => {
    void load();
  }, [load]);
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
