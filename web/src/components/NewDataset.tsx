import { useNavigate } from '@tanstack/react-router';
import { type FormEvent, useState } from 'react';
import { allows } from '../allowed';
import { api, TIER_HELP, TIER_LABEL, type Visibility } from '../api';
import { useSession } from '../session';
import { Dialog, ErrorNote, Field } from './ui';

/** Creates a dataset in one of my organizations; only org admins pick a tier other than Admins only. */
export function NewDataset({ onClose }: { onClose(): void }) {
  const navigate = useNavigate();
  const { organizations } = useSession();
  const [orgId, setOrgId] = useState(organizations[0]?.id ?? '');
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [visibility, setVisibility] = useState<Visibility>('admins');
  const [error, setError] = useState<unknown>(null);
  const org = organizations.find((o) => o.id === orgId);
  const isAdmin = org !== undefined && allows(org, 'dataset.setVisibility');
  async function submit(event: FormEvent) {
    event.preventDefault();
    try {
      const dataset = await api.createDataset(orgId, { name, description, visibility: isAdmin ? visibility : 'admins' });
      navigate({ to: '/datasets/$id', params: { id: dataset.id } });
    } catch (caught) {
      setError(caught);
    }
  }
  return (
    <Dialog title="New dataset" onClose={onClose}>
      <form onSubmit={submit}>
        <Field label="Name">
          {(id) => <input id={id} value={name} onChange={(e) => setName(e.target.value)} required maxLength={200} />}
        </Field>
        <Field label="Description">
          {(id) => <textarea id={id} value={description} onChange={(e) => setDescription(e.target.value)} rows={3} />}
        </Field>
        <Field label="Organization">
          {(id) => (
            <select id={id} value={orgId} onChange={(e) => setOrgId(e.target.value)}>
              {organizations.map((o) => (
                <option key={o.id} value={o.id}>
                  {o.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        {isAdmin ? (
          <Field label="Shared with" hint={TIER_HELP[visibility]}>
            {(id) => (
              <select id={id} value={visibility} onChange={(e) => setVisibility(e.target.value as Visibility)}>
                {(Object.keys(TIER_LABEL) as Visibility[]).map((v) => (
                  <option key={v} value={v}>
                    {TIER_LABEL[v]}
                  </option>
                ))}
              </select>
            )}
          </Field>
        ) : (
          <p className="hint">New datasets start private to you and the organization's admins.</p>
        )}
        <ErrorNote error={error} />
        <footer className="actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary">
            Create dataset
          </button>
        </footer>
      </form>
    </Dialog>
  );
}
