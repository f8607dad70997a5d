import { useQuery } from '@tanstack/react-query';
import { type AccountSession, accountApi, cancellable } from '../api';
import { keys } from '../queries';
import { ErrorNote, formatDate, Notice, Spinner, useChanges } from './ui';

/** "Chrome on Linux" from a user-agent string; the raw string stays in the element's title. */
export function deviceName(userAgent: string | null): string {
  if (!userAgent) return 'Unknown device';
  const browser =
    [
      ['Edg/', 'Edge'],
      ['OPR/', 'Opera'],
      ['Firefox/', 'Firefox'],
      ['Chrome/', 'Chrome'],
      ['Safari/', 'Safari'],
      ['curl/', 'curl'],
      ['node', 'a script'],
    ].find(([mark]) => userAgent.includes(mark as string))?.[1] ?? 'A browser';
  const system =
    [
      ['Android', 'Android'],
      ['iPhone', 'iPhone'],
      ['iPad', 'iPad'],
      ['Windows', 'Windows'],
      ['Mac OS', 'macOS'],
      ['CrOS', 'ChromeOS'],
      ['Linux', 'Linux'],
    ].find(([mark]) => userAgent.includes(mark as string))?.[1] ?? null;
  return system ? `${browser} on ${system}` : browser;
}

/** Where this account is logged in; every session but this one can be ended from here. */
export function Sessions() {
  const { notice, error, act } = useChanges();
  const list = useQuery({ queryKey: keys.sessions, queryFn: ({ signal }) => cancellable(signal, () => accountApi.sessions()) });
  // This device first, then the most recently used.
  const recent = (s: AccountSession) => Date.parse(s.lastUsedAt ?? s.createdAt);
  const sessions: AccountSession[] | null = list.data
    ? [...list.data.items].sort((a, b) => Number(b.current) - Number(a.current) || recent(b) - recent(a))
    : null;
  const loadError = list.error;
  const load = () => list.refetch();

  return (
    <section className="card" aria-labelledby="sessions-title">
      <h2 id="sessions-title">Where you are logged in</h2>
      <p className="muted">End a session you do not recognise: that device is logged out on its next request.</p>
      <ErrorNote error={loadError ?? error} />
      <Notice text={notice} />
      {sessions === null && !loadError ? <Spinner /> : null}
      {sessions ? (
        <ul className="rows" aria-label="Sessions">
          {sessions.map((session) => (
            <li key={session.id} className="row">
              <div className="row-main">
                <strong title={session.userAgent ?? undefined}>{deviceName(session.userAgent)}</strong>
                {session.current ? <span className="badge this-device">This device</span> : null}
                <div className="muted small">
                  Logged in {formatDate(session.createdAt)}
                  {session.lastUsedAt ? ` · last active ${formatDate(session.lastUsedAt)}` : ''}
                </div>
              </div>
              {session.current ? null : (
                <button
                  type="button"
                  className="danger"
                  aria-label={`End session: ${deviceName(session.userAgent)}, logged in ${formatDate(session.createdAt)}`}
                  onClick={() => void act(() => accountApi.endSession(session.id), 'The session has ended.', load)}
                >
                  End session
                </button>
              )}
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}
