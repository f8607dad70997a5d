import { useQuery } from '@tanstack/react-query';
import { useNavigate } from '@tanstack/react-router';
import { type ReactNode, useCallback, useState } from 'react';
import { ApiError, LEVEL_HELP, linkApi, type ShareLinkLookup } from '../api';
import { keepLinkForSignIn } from '../components/SingleSignOn';
import { ErrorNote, formatDate, Spinner, timeLeft, useTitle } from '../components/ui';
import { queries } from '../queries';
import { useSession } from '../session';
import { AuthForm } from './AuthPage';

interface Dead {
  title: string;
  text: string;
}

const DEAD: Record<string, Dead> = {
  unknown: {
    title: 'This link does not work',
    text: 'It is incomplete, or the dataset it opened no longer exists. Copy the whole link again, or ask the person who shared it.',
  },
  link_expired: {
    title: 'This link has ended',
    text: 'Links work until the end date their maker chose. Ask the person who shared it for a new one.',
  },
  link_revoked: {
    title: 'This link was revoked',
    text: 'An admin of the dataset switched it off. Ask the person who shared it if you still need access.',
  },
  link_used_up: {
    title: 'This link has been used up',
    text: 'It works a limited number of times, and all of them are taken. If you used it yourself and lost access, ask the person who shared it.',
  },
};

const LEVEL_LABEL = { read: 'read (view)', annotate: 'annotate (review)' } as const;

function DeadLink({ title, text, children }: Dead & { children?: ReactNode }) {
  const navigate = useNavigate();
  return (
    <main className="page narrow">
      <section className="card dead-link" aria-labelledby="dead-title">
        <p className="eyebrow">Share link</p>
        <h1 id="dead-title">{title}</h1>
        <p>{text}</p>
        <div className="actions">
          {children}
          <button type="button" onClick={() => navigate({ to: '/' })}>
            Go to Tessera
          </button>
        </div>
      </section>
    </main>
  );
}

type Outcome =
  | { kind: 'idle' }
  | { kind: 'working' }
  | { kind: 'redeemed'; datasetId: string; level: string }
  | { kind: 'refused'; error: unknown };

/** Asks the person to confirm their address before the link can be used; this tab keeps the link meanwhile. */
function ConfirmAddress({ email, onContinue }: { email: string; onContinue(): void }) {
  const [sent, setSent] = useState<unknown>(null);
  return (
    <section className="card" aria-labelledby="confirm-title">
      <h2 id="confirm-title">Confirm your e-mail address first</h2>
      <p>
        We sent a confirmation link to <strong>{email}</strong>. Open it, then come back to this tab and press Continue: the share link
        stays here.
      </p>
      {sent === true ? (
        <p className="notice" role="status">
          A new confirmation link is on its way.
        </p>
      ) : (
        <ErrorNote error={sent} />
      )}
      <div className="actions">
        <button type="button" onClick={() => linkApi.resendVerification().then(() => setSent(true), setSent)}>
          Send the link again
        </button>
        <button type="button" className="primary" onClick={onContinue}>
          Continue
        </button>
      </div>
    </section>
  );
}

/** The page a share link opens: what it offers and from whom; log in or sign up in place, then get access and open the dataset. */
export function ShareLink({ token }: { token: string | null }) {
  const navigate = useNavigate();
  const { user, loading, signOut } = useSession();
  // The page is keyed by its token (see routes.tsx): a new link in the same tab is a new page.
  const lookup = useQuery({ ...queries.shareLink(token ?? ''), enabled: token !== null });
  const about: ShareLinkLookup | null = lookup.data ?? null;
  const lookupError = lookup.error;
  const [outcome, setOutcome] = useState<Outcome>({ kind: 'idle' });
  useTitle('Share link');

  const redeem = useCallback(async () => {
    setOutcome({ kind: 'working' });
    try {
      const result = await linkApi.redeem(token ?? '');
      setOutcome({ kind: 'redeemed', ...result });
    } catch (error) {
      setOutcome({ kind: 'refused', error });
    }
  }, [token]);

  const lookupCode = lookupError instanceof ApiError ? lookupError.code : null;
  if (!token || (lookupError instanceof ApiError && lookupError.status === 404)) return <DeadLink {...DEAD.unknown!} />;
  if (lookupCode === 'link_used_up' && user && !loading) {
    // Whoever used it and still has the access opens the dataset from here; nobody else gets in.
    return (
      <DeadLink {...DEAD.link_used_up!}>
        {outcome.kind === 'refused' ? <ErrorNote error={outcome.error} /> : null}
        {outcome.kind === 'redeemed' ? null : (
          <button type="button" className="primary" onClick={() => void redeem()}>
            I used it: open the dataset
          </button>
        )}
        {outcome.kind === 'redeemed' ? (
          <button type="button" className="primary" onClick={() => navigate({ to: '/datasets/$id', params: { id: outcome.datasetId } })}>
            Open dataset
          </button>
        ) : null}
      </DeadLink>
    );
  }
  if (lookupCode && DEAD[lookupCode]) return <DeadLink {...DEAD[lookupCode]!} />;
  if (!about || loading) return <main className="page narrow">{lookupError ? <ErrorNote error={lookupError} /> : <Spinner />}</main>;

  const refusal = outcome.kind === 'refused' && outcome.error instanceof ApiError ? outcome.error.code : null;
  if (refusal && DEAD[refusal]) return <DeadLink {...DEAD[refusal]!} />;

  const rules = [
    about.allowedDomains.length > 0 ? `addresses at ${about.allowedDomains.join(', ')}` : null,
    about.membersOnly ? `members of ${about.orgName}` : null,
  ].filter(Boolean);
  return (
    <main className="page narrow">
      <section className="card invite" aria-labelledby="link-title">
        <p className="eyebrow">Share link</p>
        <h1 id="link-title">
          {about.createdBy.name} shared the dataset “{about.datasetName}”
        </h1>
        <p>
          In {about.orgName}, at level <strong>{LEVEL_LABEL[about.level]}</strong>: {LEVEL_HELP[about.level]}
        </p>
        <p className="muted">
          The link works until {formatDate(about.expiresAt)} ({timeLeft(about.expiresAt)})
          {rules.length > 0 ? ` · only for ${rules.join(' and ')}` : ''}.
        </p>
        {outcome.kind === 'redeemed' ? (
          <div role="status">
            <p className="notice">
              You have {outcome.level} access to “{about.datasetName}”.
            </p>
            <div className="actions">
              <button
                type="button"
                className="primary"
                onClick={() => navigate({ to: '/datasets/$id', params: { id: outcome.datasetId } })}
              >
                Open dataset
              </button>
            </div>
          </div>
        ) : user && refusal !== 'email_unverified' ? (
          <>
            {outcome.kind === 'refused' ? <ErrorNote error={outcome.error} /> : null}
            {refusal === 'link_domain_mismatch' || refusal === 'link_members_only' ? (
              <button type="button" onClick={() => void signOut().then(() => setOutcome({ kind: 'idle' }))}>
                Log out and use another account
              </button>
            ) : null}
            <p>
              You are logged in as <strong>{user.email}</strong>.
            </p>
            <div className="actions">
              <button type="button" className="primary" disabled={outcome.kind === 'working'} onClick={() => void redeem()}>
                Get access
              </button>
            </div>
          </>
        ) : null}
      </section>
      {user && refusal === 'email_unverified' ? <ConfirmAddress email={user.email} onContinue={() => void redeem()} /> : null}
      {user ? null : (
        <AuthForm
          initialMode="signup"
          intro="Create an account, or log in if you have one. You get access right after."
          onDone={() => void redeem()}
          returnTo="/l"
          beforeSignIn={() => keepLinkForSignIn('/l', token)}
        />
      )}
    </main>
  );
}
