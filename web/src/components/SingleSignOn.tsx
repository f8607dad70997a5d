import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { type SignInProviders, type SsoLink, signInWithProvider, ssoApi } from '../api';
import { keys, queries } from '../queries';
import { ErrorNote } from './ui';

/** How one signs in here, asked once per page load; null until known. */
export function useSignInProviders(): SignInProviders | null {
  return useQuery(queries.signInProviders()).data ?? null;
}

// The secret of an invitation (/invite) or a share link (/l) lives in the URL fragment, which never
// reaches a server: it waits here while the browser visits the provider, and goes back into the
// fragment on return to the same page.
const PENDING_LINK = 'tessera:pending-link';
const PAGES_WITH_LINKS = new Set(['/invite', '/l']);

export function keepLinkForSignIn(page: '/invite' | '/l', token: string): void {
  window.sessionStorage.setItem(PENDING_LINK, JSON.stringify({ page, token }));
}

/** On return from the provider to the page that was left, puts its kept secret back into the fragment. */
export function restorePendingLink(): void {
  const raw = window.sessionStorage.getItem(PENDING_LINK);
  const path = window.location.pathname;
  if (raw === null || !PAGES_WITH_LINKS.has(path)) return;
  window.sessionStorage.removeItem(PENDING_LINK);
  const kept = JSON.parse(raw) as { page: string; token: string };
  if (kept.page === path && !window.location.hash) window.history.replaceState(null, '', `${path}#token=${encodeURIComponent(kept.token)}`);
}

/** "Sign in with <provider>", when there is one. */
export function SsoButton({ returnTo, beforeLeave }: { returnTo: string; beforeLeave?(): void }) {
  const known = useSignInProviders();
  if (!known?.oidc) return null;
  return (
    <button
      type="button"
      className="primary sso"
      onClick={() => {
        beforeLeave?.();
        signInWithProvider(returnTo);
      }}
    >
      Sign in with {known.oidc.name}
    </button>
  );
}

const SSO_ERRORS: Record<string, { title: string; text: string }> = {
  sso_email_unverified: {
    title: 'Your e-mail address is not verified',
    text: 'Your identity provider has not confirmed that the e-mail address of your account there is yours, so it cannot sign you in here. Verify the address with your identity provider (or ask your administrator), then try again.',
  },
  sso_state_invalid: {
    title: 'This sign-in has expired',
    text: 'It was started in another browser or tab, or more than ten minutes ago. Start again from the login page.',
  },
  sso_unavailable: {
    title: 'Single sign-on is unavailable for now',
    text: 'Tessera cannot reach the identity provider at the moment. Try again in a few minutes.',
  },
  sso_account_linked: {
    title: 'This address belongs to another sign-in',
    text: 'The Tessera account with this e-mail address is linked to another identity at your provider. Ask your administrator.',
  },
  password_login_disabled: {
    title: 'Passwords are not used here',
    text: 'Sign in with your organization’s identity provider.',
  },
};
const SSO_FAILED = {
  title: 'The sign-in did not complete',
  text: 'The answer of the identity provider could not be checked. Start again from the login page.',
};

/** Where a refused single sign-on lands: what happened, in words, and the way back. */
export function SsoErrorPage({ code }: { code: string | null }) {
  const { title, text } = SSO_ERRORS[code ?? ''] ?? SSO_FAILED;
  return (
    <main className="page narrow">
      <section className="card dead-link" aria-labelledby="sso-error-title">
        <p className="eyebrow">Single sign-on</p>
        <h1 id="sso-error-title">{title}</h1>
        <p>{text}</p>
        <div className="actions">
          <button type="button" onClick={() => window.location.assign('/')}>
            Back to the login page
          </button>
        </div>
      </section>
    </main>
  );
}

/** Whether my account is linked to the provider and has a password; null until known. */
export function useSsoLink(): [SsoLink | null, (link: SsoLink) => void] {
  const queryClient = useQueryClient();
  const link = useQuery(queries.ssoLink()).data ?? null;
  return [link, (changed) => queryClient.setQueryData(keys.ssoLink, changed)];
}

/** The account page's view of the link to the identity provider, with Unlink. */
export function SsoLinkCard({ link, onChange }: { link: SsoLink | null; onChange(link: SsoLink): void }) {
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  if (!link || (!link.linked && !link.provider)) return null;
  const name = link.provider?.name ?? 'your identity provider';

  async function unlink() {
    setBusy(true);
    setError(null);
    try {
      await ssoApi.unlink();
      onChange(await ssoApi.link());
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card" aria-labelledby="sso-title">
      <h2 id="sso-title">Single sign-on</h2>
      {link.linked ? (
        <>
          <p>
            <span className="badge verified">Linked</span> You sign in with {name}.
          </p>
          {link.hasPassword ? null : (
            <p className="muted">
              Your account has no password, so it cannot be unlinked: without one you could not sign in at all. To set one, use “Forgot your
              password?” on the login page.
            </p>
          )}
          <ErrorNote error={error} />
          <button type="button" disabled={busy || !link.hasPassword} onClick={() => void unlink()}>
            Unlink from {name}
          </button>
        </>
      ) : (
        <>
          <p>
            Not linked. Signing in with {name} links this account when {name} confirms your address. Linking ends your other sessions and
            access tokens and removes your password: from then on you sign in with {name}.
          </p>
          <ErrorNote error={error} />
          <button type="button" onClick={() => signInWithProvider('/account')}>
            Link with {name}
          </button>
        </>
      )}
    </section>
  );
}
