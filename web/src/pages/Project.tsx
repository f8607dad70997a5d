import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate } from '@tanstack/react-router';
import { type FormEvent, useState } from 'react';
import { ApiError, api, type Dataset, type Project, TIER_LABEL } from '../api';
import { ErrorNote, Field, LevelBadge, NotFoundPage, Notice, plural, Spinner, TableHeader, useChanges, useTitle } from '../components/ui';
import { keys, queries } from '../queries';
import { useSession } from '../session';

type Loaded = Project & { datasets: Dataset[] };

/** A project: the datasets in it that I can read (the others are not even counted). */
export function ProjectPage({ id }: { id: string }) {
  const { organizations } = useSession();
  const queryClient = useQueryClient();
  const answer = useQuery(queries.project(id));
  const project: Loaded | null = answer.data ?? null;
  const changes = useChanges();
  const { notice } = changes;
  const error = changes.error ?? answer.error;
  const load = () => queryClient.invalidateQueries({ queryKey: keys.project(id) });
  useTitle(project ? project.name : error ? 'Project not found' : null);

  if (error instanceof ApiError && error.status === 404) {
    return (
      <NotFoundPage title="Project not found">It does not exist, or it belongs to an organization you are not a member of.</NotFoundPage>
    );
  }
  if (!project) return <main className="page">{error ? <ErrorNote error={error} /> : <Spinner />}</main>;

  const org = organizations.find((o) => o.id === project.orgId);
  const remove = (dataset: Dataset) =>
    changes.act(() => api.removeFromProject(id, dataset.id), `“${dataset.name}” is no longer in this project.`, load);
  return (
    <main className="page">
      <nav className="crumbs" aria-label="Breadcrumb">
        <Link to="/" activeOptions={{ exact: true }}>
          Datasets
        </Link>{' '}
        /{' '}
        {org ? (
          <Link to="/orgs/$id" params={{ id: org.id }}>
            {org.name}
          </Link>
        ) : (
          'Organization'
        )}{' '}
        / {project.name}
      </nav>
      <header className="page-header">
        <div>
          <h1>{project.name}</h1>
          <p className="muted">
            Project{org ? ` of ${org.name}` : ''} · {plural(project.datasets.length, 'dataset')} you can read
          </p>
        </div>
      </header>
      <ErrorNote error={error} />
      <Notice text={notice} />
      {project.datasets.length === 0 ? (
        <div className="card empty">
          <p>No dataset you can read is in this project yet.</p>
          <p className="muted">Open a dataset and add it here under “Projects and lineage”.</p>
        </div>
      ) : (
        <div className="table-wrap">
          <table className="inventory">
            <TableHeader columns={['Name', 'My level', 'Shared With', { label: 'Items', numeric: true }, 'actions']} />
            <tbody>
              {project.datasets.map((d) => (
                <tr key={d.id}>
                  <td>
                    <Link to="/datasets/$id" params={{ id: d.id }}>
                      {d.name}
                    </Link>
                    {d.description ? <div className="muted clip">{d.description}</div> : null}
                  </td>
                  <td>
                    <LevelBadge level={d.myLevel} />
                  </td>
                  <td>{TIER_LABEL[d.visibility]}</td>
                  <td className="num">{d.itemCount}</td>
                  <td>
                    <button type="button" onClick={() => void remove(d)} aria-label={`Remove ${d.name} from the project`}>
                      Remove
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </main>
  );
}

/** An organization's projects, and a form to start one (any member may). */
export function OrgProjects({ orgId }: { orgId: string }) {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const answer = useQuery(queries.projects(orgId));
  const projects: Project[] | null = answer.data?.items ?? null;
  const [name, setName] = useState('');
  const [failure, setError] = useState<unknown>(null);
  const error = failure ?? answer.error;
  async function create(event: FormEvent) {
    event.preventDefault();
    setError(null);
    try {
      const project = await api.createProject(orgId, name);
      setName('');
      void queryClient.invalidateQueries({ queryKey: keys.projects(orgId) });
      await navigate({ to: '/projects/$id', params: { id: project.id } });
    } catch (caught) {
      setError(caught);
    }
  }
  return (
    <section className="card" aria-labelledby="projects-title">
      <h2 id="projects-title">Projects</h2>
      <form className="inline" onSubmit={create}>
        <Field label="New project">
          {(fid) => <input id={fid} value={name} onChange={(e) => setName(e.target.value)} required placeholder="e.g. Delta mapping" />}
        </Field>
        <button type="submit">Create project</button>
      </form>
      <ErrorNote error={error} />
      {projects === null ? (
        <Spinner />
      ) : projects.length === 0 ? (
        <p className="muted">No projects yet. A project groups datasets for a piece of work.</p>
      ) : (
        <ul className="projects">
          {projects.map((p) => (
            <li key={p.id}>
              <Link to="/projects/$id" params={{ id: p.id }}>
                {p.name}
              </Link>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
