import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { cancellable, type LinkRedemption, type LinkStatus, linkApi, type ShareLink } from '../api';
import { keys } from '../queries';
import { Confirm, ErrorNote, formatDate, formatDay, isMissing, Notice, Spinner, timeLeft, useChanges } from './ui';

const STATUS_LABEL: Record<LinkStatus, string> = {
  active: 'active',
  expired: 'ended',
  revoked: 'revoked',
  used_up: 'used up',
};

function Redemptions({ datasetId, linkId }: { datasetId: string; linkId: string }) {
  const answer = useQuery({
    queryKey: [...keys.links(datasetId), linkId, 'redemptions'],
    queryFn: ({ signal }) => cancellable(signal, () => linkApi.redemptions(datasetId, linkId)),
  });
  const items: LinkRedemption[] | undefined = answer.data?.items;
  const error = answer.error;
  if (error) return <ErrorNote error={error} />;
  if (!items) return <Spinner />;
  if (items.length === 0) return <p className="muted">Nobody has used it yet.</p>;
  return (
    <ul className="redemptions" aria-label="Who used it">
      {items.map((r) => (
        <li key={r.user.id}>
          <strong>{r.user.name}</strong>
          {r.user.email ? <span className="muted"> {r.user.email}</span> : null}
          <span className="muted">
            {' '}
            · {formatDate(r.redeemedAt)} · {r.level}
          </span>
        </li>
      ))}
    </ul>
  );
}

/** The dataset's share links in sharing settings: uses, end date, who made it, who used it; revoke after a confirmation. */
export function LinkList({ datasetId }: { datasetId: string }) {
  const queryClient = useQueryClient();
  const answer = useQuery({
    queryKey: keys.links(datasetId),
    queryFn: ({ signal }) => cancellable(signal, () => linkApi.list(datasetId)),
  });
  const links = answer.data?.items ?? null;
  const [confirm, setConfirm] = useState<ShareLink | null>(null);
  const changes = useChanges();
  const { notice } = changes;
  const error = changes.error ?? answer.error;

  if (isMissing(error) && !links) return null;
  return (
    <>
      <h3>Links</h3>
      <ErrorNote error={error} />
      <Notice text={notice} />
      {!links ? (
        <Spinner />
      ) : links.length === 0 ? (
        <p className="muted">No links. Use Share → Create link to make one.</p>
      ) : (
        <ul className="links" aria-label="Share links">
          {links.map((link) => (
            <li key={link.id} className={`link-row ${link.status === 'active' ? '' : 'dormant'}`} aria-label={link.name}>
              <div className="link-main">
                <strong>{link.name}</strong> <span className={`badge level-${link.level}`}>{link.level}</span>{' '}
                {link.status === 'active' ? null : <span className="chip muted-chip">{STATUS_LABEL[link.status]}</span>}
                <div className="muted">
                  made by {link.createdBy.name} on {formatDay(link.createdAt)}
                  {link.allowedDomains.length > 0 ? ` · only ${link.allowedDomains.join(', ')}` : ''}
                  {link.membersOnly ? ' · organization members only' : ''}
                </div>
              </div>
              <div className="link-facts">
                <span>
                  <strong>{link.maxUses ? `${link.uses} / ${link.maxUses}` : link.uses}</strong> {link.maxUses ? 'uses' : 'uses, no cap'}
                </span>
                <span className="muted">
                  until {formatDay(link.expiresAt)}
                  {link.status === 'active' ? ` (${timeLeft(link.expiresAt)})` : ''}
                </span>
              </div>
              <div className="link-actions">
                <details>
                  <summary>Redemptions</summary>
                  <Redemptions datasetId={datasetId} linkId={link.id} />
                </details>
                {link.status === 'revoked' ? null : (
                  <button type="button" className="danger" onClick={() => setConfirm(link)}>
                    Revoke
                  </button>
                )}
              </div>
            </li>
          ))}
        </ul>
      )}
      {confirm ? (
        <Confirm
          title="Please confirm"
          confirmLabel="Yes, revoke"
          onClose={() => setConfirm(null)}
          onConfirm={() =>
            void changes.act(
              () => linkApi.revoke(confirm.id),
              `The link “${confirm.name}” no longer works.`,
              () => queryClient.invalidateQueries({ queryKey: keys.dataset(datasetId) }),
            )
          }
        >
          <p>Revoke the link “{confirm.name}”?</p>
          <p className="muted">Nobody can use it from now on. People who already used it keep their access; revoke that under People.</p>
        </Confirm>
      ) : null}
    </>
  );
}
