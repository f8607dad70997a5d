import { useInfiniteQuery } from '@tanstack/react-query';
import { type AuditEvent, api, cancellable } from '../api';
import { keys } from '../queries';
import { ErrorNote, formatDate, isMissing, Spinner } from './ui';

function describe(event: AuditEvent): string {
  const who = event.subjectName ?? event.subject;
  const after = (event.after ?? {}) as Record<string, unknown>;
  const before = (event.before ?? {}) as Record<string, unknown>;
  switch (event.action) {
    case 'grant.set':
    case 'team_grant.set':
      return `${who} → ${String(after.level)}${before.level ? ` (was ${String(before.level)})` : ''}`;
    case 'grant.revoked':
    case 'team_grant.revoked':
      return `${who} lost ${String(before.level)}`;
    case 'dataset.visibility_changed':
      return `${String(before.visibility)} → ${String(after.visibility)}`;
    case 'dataset.renamed':
      return `“${String(before.name)}” → “${String(after.name)}”`;
    case 'invitation.created':
      return `${String(after.email)} as ${String(after.level ?? after.role)}`;
    case 'link.created':
      return `link “${who}” at ${String(after.level)}`;
    case 'link.redeemed':
      return `link “${who}” used (${String(after.uses)} so far)`;
    case 'member.added':
      return after.role ? `${who} as ${String(after.role)}` : who;
    case 'member.updated': {
      const changes: string[] = [];
      if (after.role !== undefined && after.role !== before.role) changes.push(`role ${String(before.role)} → ${String(after.role)}`);
      if (after.processDatasets !== undefined && after.processDatasets !== before.processDatasets) {
        changes.push(after.processDatasets ? 'may now process datasets' : 'may no longer process datasets');
      }
      return changes.length > 0 ? `${who}: ${changes.join(', ')}` : who;
    }
    default:
      return who;
  }
}

/**
 * The audit log, newest first: the organization's (with a CSV export), or one dataset's history:
 * who changed its access, when, from what to what.
 */
export function History({ orgId, datasetId }: { orgId: string; datasetId?: string }) {
  const log = useInfiniteQuery({
    queryKey: datasetId ? keys.history(datasetId) : keys.audit(orgId),
    queryFn: ({ pageParam, signal }) =>
      cancellable(signal, () => api.audit(orgId, { ...(datasetId ? { datasetId } : {}), cursor: pageParam })),
    initialPageParam: null as string | null,
    getNextPageParam: (page) => page.nextCursor,
  });
  const events: AuditEvent[] | null = log.data ? log.data.pages.flatMap((page) => page.items) : null;
  const error = log.error;
  if (isMissing(error)) return null;
  return (
    <section className="card" aria-labelledby="history-title">
      <header className="section-header">
        <h2 id="history-title">{datasetId ? 'History' : 'Audit log'}</h2>
        {datasetId ? null : (
          <a href={`/api/v1/orgs/${orgId}/audit.csv`} download>
            Export CSV
          </a>
        )}
      </header>
      <ErrorNote error={error} />
      {events === null ? (
        error ? null : (
          <Spinner />
        )
      ) : (
        <table className="log">
          <tbody>
            {events.map((e) => (
              <tr key={e.id}>
                <td className="muted">{formatDate(e.at)}</td>
                <td>{e.actor?.name ?? 'someone with the link'}</td>
                <td>
                  <code>{e.action}</code>
                </td>
                <td>{describe(e)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {log.hasNextPage ? (
        <button type="button" className="more" onClick={() => void log.fetchNextPage()}>
          Load more
        </button>
      ) : null}
    </section>
  );
}
