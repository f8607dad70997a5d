import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import type { Member, RemovalPreview } from '../api';
import { levelLabel } from '../levels';
import { queries } from '../queries';
import { Dialog, ErrorNote, plural, Spinner } from './ui';

/**
 * Removing a member (or leaving) shows first what goes with the membership: their teams, and
 * their direct grants on the organization's datasets — which can be kept, as an external
 * collaborator's grants that count only while a dataset is shared with external accessors.
 */
export function RemoveMember({
  orgId,
  orgName,
  member,
  self,
  onClose,
  onRemove,
}: {
  orgId: string;
  orgName: string;
  member: Member;
  self: boolean;
  onClose(): void;
  onRemove(options: { keepGrants: boolean }): void;
}) {
  const answer = useQuery(queries.removalPreview(orgId, member.user.id));
  const preview: RemovalPreview | null = answer.data ?? null;
  const error = answer.error;
  const [keepGrants, setKeepGrants] = useState(false);
  const who = self ? 'You' : member.user.name;
  return (
    <Dialog title={self ? `Leave ${orgName}?` : `Remove ${member.user.name} from ${orgName}?`} onClose={onClose}>
      <p>
        {who} lose{self ? '' : 's'} access through the organization and its teams at once.
      </p>
      <ErrorNote error={error} />
      {preview === null ? (
        error ? null : (
          <Spinner />
        )
      ) : (
        <section aria-label="What the removal takes away">
          {preview.teams.length > 0 ? (
            <>
              <h3>Teams left ({preview.teams.length})</h3>
              <ul className="changes">
                {preview.teams.map((t) => (
                  <li key={t.id}>{t.name}</li>
                ))}
              </ul>
            </>
          ) : null}
          {preview.grants.length > 0 ? (
            <>
              <h3>Direct grants revoked ({preview.grants.length})</h3>
              <ul className="changes">
                {preview.grants.map((g) => (
                  <li key={g.datasetId}>
                    <strong>{g.datasetName}</strong>: {levelLabel(g.level)}
                  </li>
                ))}
              </ul>
              <label className="check">
                <input type="checkbox" checked={keepGrants} onChange={(e) => setKeepGrants(e.target.checked)} />
                Keep {self ? 'my' : 'their'} {plural(preview.grants.length, 'direct grant')} as an external collaborator
              </label>
              <p className="muted">Kept grants count only while a dataset is shared with external accessors.</p>
            </>
          ) : (
            <p className="muted">{self ? 'You hold' : `${member.user.name} holds`} no direct grants on this organization's datasets.</p>
          )}
        </section>
      )}
      <footer className="actions">
        <button type="button" onClick={onClose}>
          Cancel
        </button>
        <button
          type="button"
          className="danger"
          disabled={preview === null && !error}
          onClick={() => {
            onClose();
            onRemove({ keepGrants });
          }}
        >
          {self ? 'Leave' : 'Remove'}
        </button>
      </footer>
    </Dialog>
  );
}
