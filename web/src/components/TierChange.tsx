import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api, type LevelChange, TIER_HELP, TIER_LABEL, type Visibility } from '../api';
import { levelLabel } from '../levels';
import { queries } from '../queries';
import { Dialog, ErrorNote, Spinner } from './ui';

const SHOWN = 12;

export function Changes({ title, changes }: { title: string; changes: LevelChange[] }) {
  if (changes.length === 0) return null;
  return (
    <section>
      <h3>
        {title} ({changes.length})
      </h3>
      <ul className="changes">
        {changes.slice(0, SHOWN).map((c) => (
          <li key={c.user.id}>
            <strong>{c.user.name}</strong> <span className="muted">{c.user.email}</span>: {levelLabel(c.from)} → {levelLabel(c.to)}
          </li>
        ))}
        {changes.length > SHOWN ? <li className="muted">and {changes.length - SHOWN} more</li> : null}
      </ul>
    </section>
  );
}

/** Shows who gains and loses access before a tier change is applied. */
export function TierChange({
  datasetId,
  datasetName,
  to,
  onDone,
  onCancel,
}: {
  datasetId: string;
  datasetName: string;
  to: Visibility;
  onDone(): void;
  onCancel(): void;
}) {
  // "unavailable": the server could not say who gains and loses, so a plain confirmation stands in.
  const answer = useQuery(queries.tierPreview(datasetId, to));
  const preview = answer.isError ? 'unavailable' : (answer.data ?? null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  async function apply() {
    setBusy(true);
    try {
      await api.updateDataset(datasetId, { visibility: to });
      onDone();
    } catch (caught) {
      setError(caught);
      setBusy(false);
    }
  }
  return (
    <Dialog title={`Share “${datasetName}” with: ${TIER_LABEL[to]}`} onClose={onCancel}>
      <p className="muted">{TIER_HELP[to]}</p>
      {preview === 'unavailable' ? (
        <p>Change who this dataset is shared with? It takes effect on everyone's very next request.</p>
      ) : preview ? (
        preview.gains.length + preview.losses.length === 0 ? (
          <p>Nobody's access changes.</p>
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
      <footer className="actions">
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="button" className="primary" onClick={apply} disabled={busy || !preview}>
          Apply
        </button>
      </footer>
    </Dialog>
  );
}
