import { createRootRoute, createRoute, createRouter, Link, Outlet, useLocation, useNavigate } from '@tanstack/react-router';
import type { ComponentType } from 'react';
import { LEVELS, type Level } from './api';
import { ResendVerification } from './components/Identity';
import { SsoErrorPage } from './components/SingleSignOn';
import { NotFoundPage, Spinner } from './components/ui';
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
import { useSession } from './session';

/**
 * Every page of the app and its address. The path picks the page; the query string carries what
 * a list shows (filters, search, how many pages), so a link or the back button brings it back; the
 * fragment carries secrets (`#token=`), which never reach a server.
 */

/** The secret of a link page, read from the fragment. */
function useToken(): string | null {
  const hash = useLocation({ select: (location) => location.hash });
  return new URLSearchParams(hash.replace(/^#/, '')).get('token');
}

function Shell() {
  const { user, organizations, signOut } = useSession();
  const path = useLocation({ select: (location) => location.pathname });
  const navigate = useNavigate();
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
            void navigate({ to: '/' });
          }}
        >
          ◆ Tessera
        </a>
        {user ? (
          <nav aria-label="Main">
            <Link to="/" activeOptions={{ exact: true, includeSearch: false }}>
              Datasets
            </Link>
            {organizations.map((o) => (
              <Link key={o.id} to="/orgs/$id" params={{ id: o.id }}>
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
            <button type="button" className="ghost" onClick={() => void signOut().then(() => navigate({ to: '/' }))}>
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
        <Outlet />
      </div>
    </>
  );
}

/** Pages for people who are logged in: others see the log-in page at the same address. */
function SignedIn() {
  const { user, loading } = useSession();
  if (loading) return <Spinner />;
  if (!user) return <AuthPage />;
  return <Outlet />;
}

const root = createRootRoute({
  component: Shell,
  notFoundComponent: () => (
    <NotFoundPage title="Page not found">There is no page at this address. Your datasets are one click away.</NotFoundPage>
  ),
});

/**
 * A page opened from a link with a secret (`#token=`), keyed by it: a new link in the same tab
 * starts a new page, with nothing of the old one.
 */
function linkPage(path: '/invite' | '/reset' | '/verify' | '/l', Page: ComponentType<{ token: string | null }>) {
  return createRoute({
    getParentRoute: () => root,
    path,
    component: function LinkPage() {
      const token = useToken();
      return <Page key={token ?? ''} token={token} />;
    },
  });
}
const invite = linkPage('/invite', AcceptInvite);
const reset = linkPage('/reset', ResetPassword);
const verify = linkPage('/verify', VerifyEmail);
const shareLink = linkPage('/l', ShareLink);
const ssoError = createRoute({
  getParentRoute: () => root,
  path: '/sso-error',
  validateSearch: (search: Record<string, unknown>): { code?: string } => (typeof search.code === 'string' ? { code: search.code } : {}),
  component: function SsoErrorRoute() {
    return <SsoErrorPage code={ssoError.useSearch().code ?? null} />;
  },
});

const signedIn = createRoute({ getParentRoute: () => root, id: 'signed-in', component: SignedIn });

/** What the inventory shows: its search, filters and how many pages of it, all optional. */
export interface InventorySearch {
  q?: string;
  org?: string;
  level?: Level;
  pages?: number;
}

function inventorySearch(search: Record<string, unknown>): InventorySearch {
  const pages = Number(search.pages);
  return {
    ...(typeof search.q === 'string' && search.q !== '' ? { q: search.q } : {}),
    ...(typeof search.org === 'string' && search.org !== '' ? { org: search.org } : {}),
    ...(LEVELS.includes(search.level as Level) && search.level !== 'read' ? { level: search.level as Level } : {}),
    ...(Number.isInteger(pages) && pages > 1 ? { pages } : {}),
  };
}

export const inventory = createRoute({
  getParentRoute: () => signedIn,
  path: '/',
  validateSearch: inventorySearch,
  component: Inventory,
});
const dataset = createRoute({
  getParentRoute: () => signedIn,
  path: '/datasets/$id',
  component: function DatasetRoute() {
    const { id } = dataset.useParams();
    return <DatasetDetails key={id} id={id} />;
  },
});
const organization = createRoute({
  getParentRoute: () => signedIn,
  path: '/orgs/$id',
  component: function OrganizationRoute() {
    const { id } = organization.useParams();
    return <Organization key={id} id={id} />;
  },
});
const account = createRoute({ getParentRoute: () => signedIn, path: '/account', component: Account });
const project = createRoute({
  getParentRoute: () => signedIn,
  path: '/projects/$id',
  component: function ProjectRoute() {
    const { id } = project.useParams();
    return <ProjectPage key={id} id={id} />;
  },
});

const routeTree = root.addChildren([
  invite,
  reset,
  verify,
  shareLink,
  ssoError,
  signedIn.addChildren([inventory, dataset, organization, account, project]),
]);

/** The router reads the address when it is made: make it once the address is final (a secret put back in the fragment). */
export function createAppRouter() {
  return createRouter({ routeTree, scrollRestoration: true });
}

declare module '@tanstack/react-router' {
  interface Register {
    router: ReturnType<typeof createAppRouter>;
  }
  interface HistoryState {
    /** What the action that led here did, said on the page it led to. */
    notice?: string;
  }
}
