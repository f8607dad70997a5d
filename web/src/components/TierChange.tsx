import { useEffect, useState } from 'react';
import { api, type LevelChange, TIER_LABEL, type Visibility } from '../api';
import { Dialog, ErrorNote, Spinner } from './ui';

function Changes({ title, changes }: { title: string; changes: LevelChange[] }) {
  if (changes.length === 0) return null;
  return (
    <section>
      <h3>{title}</h3>
      <ul className="changes">
        {changes.map((c) => (
          <li key={c.user.id}>
            <strong>{c.user.name}</strong> <span className="muted">{c.user.email}</span>: {c.from ?? 'no access'} → {c.to ?? 'no access'}
          </li>
        ))}
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
  const [preview, setPreview] = useState<{ gains: LevelChange[]; losses: LevelChange[] } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    api.preview(datasetId, { visibility: to }).then(setPreview, setError);
  }, [datasetId, to]);
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
      {preview ? (
        preview.gains.length + preview.losses.length === 0 ? (
          <p>Nobody's access changes.</p>
        ) : (
          <>
            <Changes title="Gain access" changes={preview.gains} />
            <Changes title="Lose access" changes={preview.losses} />
          </>
        )
      ) : error ? null : (
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
