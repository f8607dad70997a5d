import { useQueryClient } from '@tanstack/react-query';
import { useNavigate } from '@tanstack/react-router';
import { useState } from 'react';
import { allows } from '../allowed';
import { api, TIER_HELP, TIER_LABEL, type Visibility } from '../api';
import { keys } from '../queries';
import { useSession } from '../session';
import { DialogForm, Field } from './ui';

/** Creates a dataset in one of my organizations; only org admins pick a tier other than Admins only. */
export function NewDataset({ onClose }: { onClose(): void }) {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const { organizations } = useSession();
  const [orgId, setOrgId] = useState(organizations[0]?.id ?? '');
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [visibility, setVisibility] = useState<Visibility>('admins');
  const org = organizations.find((o) => o.id === orgId);
  const isAdmin = org !== undefined && allows(org, 'dataset.setVisibility');
  async function submit() {
    const dataset = await api.createDataset(orgId, { name, description, visibility: isAdmin ? visibility : 'admins' });
    void queryClient.invalidateQueries({ queryKey: keys.inventory });
    await navigate({ to: '/datasets/$id', params: { id: dataset.id } });
  }
  return (
    <DialogForm title="New dataset" submitLabel="Create dataset" onClose={onClose} onSubmit={submit}>
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
    </DialogForm>
  );
}
