import { useEffect, useState } from 'react';
import { api, type Dataset, type Job, type Project } from '../api';
import { navigate } from '../router';
import { useSession } from '../session';
import { Dialog, ErrorNote } from './ui';

function DatasetLink({ dataset }: { dataset: Dataset }) {
  return (
    <a
      href={`/datasets/${dataset.id}`}
      onClick={(e) => {
        e.preventDefault();
        navigate(`/datasets/${dataset.id}`);
      }}
    >
      {dataset.name}
    </a>
  );
}

/** Projects holding the dataset, and where it came from and what was made from it. */
export function ProjectsAndLineage({ dataset }: { dataset: Dataset }) {
  const { organizations } = useSession();
  const member = organizations.some((o) => o.id === dataset.orgId);
  const [projects, setProjects] = useState<Project[]>([]);
  const [all, setAll] = useState<Project[]>([]);
  const [lineage, setLineage] = useState<{ predecessor: Dataset | null; successors: Dataset[] } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [newProject, setNewProject] = useState('');
  useEffect(() => {
    api.lineage(dataset.id).then(setLineage, setError);
    api.datasetProjects(dataset.id).then((p) => setProjects(p.items), setError);
    if (member) api.projects(dataset.orgId).then((p) => setAll(p.items), setError);
  }, [dataset.id, dataset.orgId, member]);
  async function add(projectId: string) {
    await api.addToProject(projectId, dataset.id);
    setProjects((await api.datasetProjects(dataset.id)).items);
  }
  return (
    <section className="card" aria-labelledby="lineage-title">
      <h2 id="lineage-title">Projects and lineage</h2>
      <ErrorNote error={error} />
      <p>
        Projects:{' '}
        {projects.length === 0 ? (
          <span className="muted">none</span>
        ) : (
          projects.map((p) => (
            <span key={p.id} className="chip">
              {p.name}
            </span>
          ))
        )}
      </p>
      {member ? (
        <div className="inline">
          <select aria-label="Add to project" value="" onChange={(e) => e.target.value && void add(e.target.value).catch(setError)}>
            <option value="">Add to project…</option>
            {all
              .filter((p) => !projects.some((x) => x.id === p.id))
              .map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name}
                </option>
              ))}
          </select>
          <input
            aria-label="New project name"
            value={newProject}
            onChange={(e) => setNewProject(e.target.value)}
            placeholder="New project"
          />
          <button
            type="button"
            disabled={!newProject.trim()}
            onClick={() =>
              void api
                .createProject(dataset.orgId, newProject)
                .then(async (p) => {
                  setNewProject('');
                  setAll((list) => [...list, p]);
                  await add(p.id);
                })
                .catch(setError)
            }
          >
            Create project
          </button>
        </div>
      ) : null}
      {lineage ? (
        <>
          <p>
            Made from:{' '}
            {lineage.predecessor ? (
              <DatasetLink dataset={lineage.predecessor} />
            ) : (
              <span className="muted">{dataset.predecessorId ? 'a dataset you cannot see' : 'nothing: this is an original'}</span>
            )}
          </p>
          <p>
            Made from it:{' '}
            {lineage.successors.length === 0 ? (
              <span className="muted">nothing yet</span>
            ) : (
              lineage.successors.map((s, i) => (
                <span key={s.id}>
                  {i > 0 ? ', ' : ''}
                  <DatasetLink dataset={s} />
                </span>
              ))
            )}
          </p>
        </>
      ) : null}
    </section>
  );
}

/** Runs the dedupe pipeline, following a background job with a progress bar. */
export function ProcessDialog({ dataset, onClose }: { dataset: Dataset; onClose(): void }) {
  const [carry, setCarry] = useState(false);
  const [job, setJob] = useState<Job | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    if (!job || job.status === 'succeeded' || job.status === 'failed') {
      if (job?.status === 'succeeded' && job.datasetId) navigate(`/datasets/${job.datasetId}`);
      return;
    }
    const timer = setTimeout(() => api.job(job.id).then(setJob, setError), 500);
    return () => clearTimeout(timer);
  }, [job]);
  async function run() {
    setError(null);
    try {
      const outcome = await api.process(dataset.id, carry);
      if (outcome.dataset) navigate(`/datasets/${outcome.dataset.id}`);
      else if (outcome.job) setJob(outcome.job);
    } catch (caught) {
      setError(caught);
    }
  }
  return (
    <Dialog title={`Process “${dataset.name}”`} onClose={onClose}>
      <p>
        <strong>Dedupe</strong> makes a new dataset with one item per distinct file content, keeping the annotations of the items it keeps.
        The original stays as it is.
      </p>
      <label className="check">
        <input type="checkbox" checked={carry} onChange={(e) => setCarry(e.target.checked)} />
        Carry sharing over: the same Shared With tier, teams and people (never pending invitations)
      </label>
      {job ? (
        <label className="progress">
          {job.status === 'failed' ? job.error : `Processing ${job.done} of ${job.total} items…`}
          <progress value={job.done} max={Math.max(job.total, 1)} aria-label="Processing progress" />
        </label>
      ) : null}
      <ErrorNote error={error} />
      <footer className="actions">
        <button type="button" onClick={onClose}>
          Cancel
        </button>
        <button type="button" className="primary" onClick={() => void run()} disabled={job !== null && job.status !== 'failed'}>
          Run dedupe
        </button>
      </footer>
    </Dialog>
  );
}
