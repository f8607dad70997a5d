import { useQueryClient } from '@tanstack/react-query';
import { createContext, type ReactNode, useCallback, useContext, useEffect, useRef, useState } from 'react';
import { type AccountUser, ApiError, api, type OrgSummary, SIGNED_OUT } from './api';

interface Session {
  user: AccountUser | null;
  organizations: OrgSummary[];
  loading: boolean;
  refresh(): Promise<void>;
  signOut(): Promise<void>;
}

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const [user, setSignedIn] = useState<AccountUser | null>(null);
  // What was read for one person is never shown to the next one in the same tab: when the person
  // signed in leaves (or another takes their place), everything cached goes with them.
  const signedIn = useRef<string | null>(null);
  const setUser = useCallback(
    (next: AccountUser | null) => {
      if (signedIn.current !== null && signedIn.current !== next?.id) queryClient.clear();
      signedIn.current = next?.id ?? null;
      setSignedIn(next);
    },
    [queryClient],
  );
  const [organizations, setOrganizations] = useState<OrgSummary[]>([]);
  const [loading, setLoading] = useState(true);
  const refresh = useCallback(async () => {
    try {
      const me = await api.me();
      setUser(me.user);
      setOrganizations(me.organizations);
    } catch (error) {
      // Only a 401 means signed out; a failed request keeps what the page already shows.
      if (!(error instanceof ApiError && error.status === 401)) return;
      setUser(null);
      setOrganizations([]);
    } finally {
      setLoading(false);
    }
  }, [setUser]);
  const signOut = useCallback(async () => {
    await api.logout();
    setUser(null);
    setOrganizations([]);
  }, [setUser]);
  useEffect(() => {
    void refresh();
    const onSignedOut = () => void refresh();
    window.addEventListener(SIGNED_OUT, onSignedOut);
    return () => window.removeEventListener(SIGNED_OUT, onSignedOut);
  }, [refresh]);
  return <SessionContext.Provider value={{ user, organizations, loading, refresh, signOut }}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside SessionProvider');
  return session;
}
