import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api, TIER_HELP, TIER_LABEL } from '../api';
import { queries } from '../queries';
import { Changes } from './TierChange';
import { ErrorNote, Spinner } from './ui';

/**
 * Where sharing with outsiders was refused because of the dataset's tier: an admin of the
 * organization may open the tier right there, after seeing who gains and loses access; anyone
 * else is told who can.
 */
export function OpenToOutsiders({
  datasetId,
  allowed,
  otherwise,
  onOpened,
}: {
  datasetId: string;
  allowed: boolean;
  otherwise: string;
  onOpened(): void;
}) {
  const answer = useQuery({ ...queries.tierPreview(datasetId, 'external'), enabled: allowed });
  const preview = answer.isError ? 'unavailable' : (answer.data ?? null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  if (!allowed) return <p>{otherwise}</p>;

  async function open() {
    setBusy(true);
    setError(null);
    try {
      await api.updateDataset(datasetId, { visibility: 'external' });
      onOpened();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }
  return (
    <section className="callout" aria-labelledby="open-to-outsiders">
      <h3 id="open-to-outsiders">Share with people outside the organization?</h3>
      <p>
        As an admin of the organization you can set Shared With to “{TIER_LABEL.external}”. {TIER_HELP.external}
      </p>
      {preview === 'unavailable' ? null : preview ? (
        preview.gains.length + preview.losses.length === 0 ? (
          <p>Nobody else's access changes.</p>
        ) : (
          <>
            <Changes title="Gain access" changes={preview.gains} />
            <Changes title="Lose access" changes={preview.losses} />
          </>
        )
      ) : (
        <Spinner label="Working out who gains and loses access…" />
      )}
      <ErrorNote error={error} />
      <button type="button" className="primary" onClick={() => void open()} disabled={busy || !preview}>
        Change Shared With and send
      </button>
    </section>
  );
}
