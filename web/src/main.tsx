import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { ResendVerification } from './components/Identity';
import { restorePendingLink, SsoErrorPage } from './components/SingleSignOn';
import { Link, Spinner } from './components/ui';
import { AcceptInvite } from './pages/AcceptInvite';
import { Account } from './pages/Account';
import { AuthPage } from './pages/AuthPage';
import { DatasetDetails } from './pages/DatasetDetails';
import { Inventory } from './pages/Inventory';
import { Organization } from './pages/Organization';
import { ProjectPage } from './pages/Project';
import { ResetPassword } from './pages/ResetPassword';
import { ShareLink } from './pages/ShareLink';
import { VerifyEmail } from './pages/VerifyEmail';
import { navigate, tokenFromHash, useLocation } from './router';
import { SessionProvider, useSession } from './session';
import './styles.css';

function Shell({ children }: { children: React.ReactNode }) {
  const { user, organizations, signOut } = useSession();
  const { path } = useLocation();
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
            <Link to="/account" className="account-link">
              <span className="sr-only">My account: </span>
              {user.name}
            </Link>
            <button type="button" className="ghost" onClick={() => void signOut().then(() => navigate('/'))}>
              Log out
            </button>
          </div>
        ) : null}
      </header>
      {user && user.emailVerified === false && path !== '/verify' ? (
        <section className="banner" aria-label="Unconfirmed e-mail address">
          <p>
            <strong>Confirm your e-mail address.</strong> We sent a link to <span className="email">{user.email}</span>; until you open it,
            you cannot create access tokens.
          </p>
          <ResendVerification />
        </section>
      ) : null}
      <div id="content" tabIndex={-1}>
        {children}
      </div>
    </>
  );
}

function Routes() {
  const { path, hash } = useLocation();
  const { user, loading } = useSession();
  if (path === '/invite') return <AcceptInvite key={hash} token={tokenFromHash(hash)} />;
  if (path === '/reset') return <ResetPassword token={tokenFromHash(hash)} />;
  if (path === '/verify') return <VerifyEmail token={tokenFromHash(hash)} />;
  if (path === '/l') return <ShareLink token={tokenFromHash(hash)} />;
  if (path === '/sso-error') return <SsoErrorPage code={new URLSearchParams(window.location.search).get('code')} />;
  if (loading) return <Spinner />;
  if (!user) return <AuthPage />;
  const dataset = /^\/datasets\/([^/]+)$/.exec(path);
  if (dataset) return <DatasetDetails id={dataset[1]!} />;
  const org = /^\/orgs\/([^/]+)$/.exec(path);
  if (org) return <Organization id={org[1]!} />;
  if (path === '/account') return <Account />;
  const project = /^\/projects\/([^/]+)$/.exec(path);
  if (project) return <ProjectPage id={project[1]!} />;
  return <Inventory />;
}

restorePendingLink();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <SessionProvider>
      <Shell>
        <Routes />
      </Shell>
    </SessionProvider>
  </StrictMode>,
);
