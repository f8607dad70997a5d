import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { Link, Spinner } from './components/ui';
import { AcceptInvite } from './pages/AcceptInvite';
import { AuthPage } from './pages/AuthPage';
import { DatasetDetails } from './pages/DatasetDetails';
import { Inventory } from './pages/Inventory';
import { Organization } from './pages/Organization';
import { ProjectPage } from './pages/Project';
import { ResetPassword } from './pages/ResetPassword';
import { ShareLink } from './pages/ShareLink';
import { navigate, tokenFromHash, useLocation } from './router';
import { SessionProvider, useSession } from './session';
import './styles.css';

function Shell({ children }: { children: React.ReactNode }) {
  const { user, organizations, signOut } = useSession();
  return (
    <>
      <a className="skip" href="#content">
        Skip to content
      </a>
      <header className="topbar">
        <a
          href="/"
          className="brand"
          onClick={(event) => {
            event.preventDefault();
            navigate('/');
          }}
        >
          ◆ Tessera
        </a>
        {user ? (
          <nav aria-label="Main">
            <Link to="/">Datasets</Link>
            {organizations.map((o) => (
              <Link key={o.id} to={`/orgs/${o.id}`}>
                {o.name}
              </Link>
            ))}
          </nav>
        ) : null}
        {user ? (
          <div className="me">
            <span>{user.name}</span>
            <button type="button" className="ghost" onClick={() => void signOut().then(() => navigate('/'))}>
              Log out
            </button>
          </div>
        ) : null}
      </header>
      <div id="content" tabIndex={-1}>
        {children}
      </div>
    </>
  );
}

function Routes() {
  const { path, hash } = useLocation();
  const { user, loading } = useSession();
  if (path === '/invite') return <AcceptInvite token={tokenFromHash(hash)} />;
  if (path === '/reset') return <ResetPassword token={tokenFromHash(hash)} />;
  if (path === '/l') return <ShareLink token={tokenFromHash(hash)} />;
  if (loading) return <Spinner />;
  if (!user) return <AuthPage />;
  const dataset = /^\/datasets\/([^/]+)$/.exec(path);
  if (dataset) return <DatasetDetails id={dataset[1]!} />;
  const org = /^\/orgs\/([^/]+)$/.exec(path);
  if (org) return <Organization id={org[1]!} />;
  const project = /^\/projects\/([^/]+)$/.exec(path);
  if (project) return <ProjectPage id={project[1]!} />;
  return <Inventory />;
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <SessionProvider>
      <Shell>
        <Routes />
      </Shell>
    </SessionProvider>
  </StrictMode>,
);
