import { Link } from '@tanstack/react-router';
import { useEffect, useRef, useState } from 'react';
import { api, type Dataset, type Job, type Project } from '../api';
import { useSession } from '../session';
import { Dialog, ErrorNote, isMissing } from './ui';

function DatasetLink({ dataset }: { dataset: Dataset }) {
  return (
    <Link to="/datasets/$id" params={{ id: dataset.id }}>
      {dataset.name}
    </Link>
  );
}

/** Projects holding the dataset, and where it came from and what was made from it. */
export function ProjectsAndLineage({ dataset }: { dataset: Dataset }) {
  const { organizations } = useSession();
  const member = organizations.some((o) => o.id === dataset.orgId);
  // null until loaded, "missing" when this server does not offer the endpoint.
  const [projects, setProjects] = useState<Project[] | 'missing' | null>(null);
  const [all, setAll] = useState<Project[]>([]);
  const [lineage, setLineage] = useState<{ predecessor: Dataset | null; successors: Dataset[] } | 'missing' | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [newProject, setNewProject] = useState('');
  useEffect(() => {
    const orMissing = (mark: () => void) => (caught: unknown) => (isMissing(caught) ? mark() : setError(caught));
    api.lineage(dataset.id).then(
      setLineage,
      orMissing(() => setLineage('missing')),
    );
    api.datasetProjects(dataset.id).then(
      (p) => setProjects(p.items),
      orMissing(() => setProjects('missing')),
    );
    if (member)
      api.projects(dataset.orgId).then(
        (p) => setAll(p.items),
        orMissing(() => setAll([])),
      );
  }, [dataset.id, dataset.orgId, member]);
  async function add(projectId: string) {
    await api.addToProject(projectId, dataset.id);
    setProjects((await api.datasetProjects(dataset.id)).items);
  }
  if (projects === 'missing' && lineage === 'missing') return null;
  const listed = Array.isArray(projects) ? projects : [];
  return (
    <section className="card" aria-labelledby="lineage-title">
      <h2 id="lineage-title">Projects and lineage</h2>
      <ErrorNote error={error} />
      <div className="columns">
        {projects === 'missing' ? null : (
          <div>
            <h3>Projects</h3>
            <p>
              {listed.length === 0 ? (
                <span className="muted">In no project yet.</span>
              ) : (
                listed.map((p) => (
                  <Link key={p.id} to="/projects/$id" params={{ id: p.id }} className="chip">
                    {p.name}
                  </Link>
                ))
              )}
            </p>
            {member ? (
              <div className="inline compact">
                <select aria-label="Add to project" value="" onChange={(e) => e.target.value && void add(e.target.value).catch(setError)}>
                  <option value="">Add to project…</option>
                  {all
                    .filter((p) => !listed.some((x) => x.id === p.id))
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
          </div>
        )}
        {lineage && lineage !== 'missing' ? (
          <div>
            <h3>Lineage</h3>
            <ol className="lineage" aria-label="Lineage">
              <li>
                {lineage.predecessor ? (
                  <>
                    <span className="muted">Made from </span>
                    <DatasetLink dataset={lineage.predecessor} />
                  </>
                ) : (
                  <span className="muted">
                    {dataset.predecessorId ? 'Made from a dataset you cannot see' : 'An original: not made from another dataset'}
                  </span>
                )}
              </li>
              <li aria-current="true">
                <strong>{dataset.name}</strong>
              </li>
              <li>
                <span className="muted">Made from it: </span>
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
              </li>
            </ol>
          </div>
        ) : null}
      </div>
    </section>
  );
}

/** Runs the dedupe pipeline, following a background job with a progress bar. */
/** Processing a dataset; once the new dataset exists, `onDone` receives its id (the dialog's work is over). */
export function ProcessDialog({ dataset, onClose, onDone }: { dataset: Dataset; onClose(): void; onDone(newId: string): void }) {
  const [carry, setCarry] = useState(false);
  const [job, setJob] = useState<Job | null>(null);
  const [error, setError] = useState<unknown>(null);
  const done = useRef(onDone);
  done.current = onDone;
  useEffect(() => {
    if (!job || job.status === 'succeeded' || job.status === 'failed') {
      if (job?.status === 'succeeded' && job.datasetId) done.current(job.datasetId);
      return;
    }
    const timer = setTimeout(() => api.job(job.id).then(setJob, setError), 500);
    return () => clearTimeout(timer);
  }, [job]);
  async function run() {
    setError(null);
    try {
      const outcome = await api.process(dataset.id, carry);
      if (outcome.dataset) onDone(outcome.dataset.id);
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
