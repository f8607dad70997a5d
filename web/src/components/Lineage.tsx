import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from '@tanstack/react-router';
import { useEffect, useRef, useState } from 'react';
import { api, cancellable, type Dataset, type Job } from '../api';
import { keys, queries } from '../queries';
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
  const queryClient = useQueryClient();
  // "missing" when this server does not offer the endpoint (or the viewer may not ask it).
  const lineageAnswer = useQuery(queries.lineage(dataset.id));
  const projectsAnswer = useQuery(queries.datasetProjects(dataset.id));
  const allAnswer = useQuery({ ...queries.projects(dataset.orgId), enabled: member });
  const lineage = isMissing(lineageAnswer.error) ? 'missing' : (lineageAnswer.data ?? null);
  const projects = isMissing(projectsAnswer.error) ? 'missing' : (projectsAnswer.data?.items ?? null);
  const all = allAnswer.data?.items ?? [];
  const [failure, setError] = useState<unknown>(null);
  const error =
    failure ?? [lineageAnswer.error, projectsAnswer.error, allAnswer.error].find((caught) => caught !== null && !isMissing(caught)) ?? null;
  const [newProject, setNewProject] = useState('');
  async function add(projectId: string) {
    await api.addToProject(projectId, dataset.id);
    await Promise.all([
      queryClient.invalidateQueries({ queryKey: keys.datasetProjects(dataset.id) }),
      queryClient.invalidateQueries({ queryKey: ['project', projectId] }),
    ]);
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
                        await queryClient.invalidateQueries({ queryKey: keys.projects(dataset.orgId) });
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

const isOver = (job: Job | undefined) => job?.status === 'succeeded' || job?.status === 'failed';

/** Runs the dedupe pipeline, following a background job with a progress bar. */
/** Processing a dataset; once the new dataset exists, `onDone` receives its id (the dialog's work is over). */
export function ProcessDialog({ dataset, onClose, onDone }: { dataset: Dataset; onClose(): void; onDone(newId: string): void }) {
  const [carry, setCarry] = useState(false);
  const [started, setStarted] = useState<Job | null>(null);
  const [failure, setError] = useState<unknown>(null);
  // The job is asked again every half second until it is over.
  const followed = useQuery({
    queryKey: ['job', started?.id],
    queryFn: ({ signal }) => cancellable(signal, () => api.job(started?.id ?? '')),
    enabled: started !== null,
    refetchInterval: (query) => (isOver(query.state.data) ? false : 500),
  });
  const job = followed.data ?? started;
  const error = failure ?? followed.error;
  const done = useRef(onDone);
  done.current = onDone;
  const newId = job?.status === 'succeeded' ? job.datasetId : undefined;
  useEffect(() => {
    if (newId) done.current(newId);
  }, [newId]);
  async function run() {
    setError(null);
    try {
      const outcome = await api.process(dataset.id, carry);
      if (outcome.dataset) onDone(outcome.dataset.id);
      else if (outcome.job) setStarted(outcome.job);
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
