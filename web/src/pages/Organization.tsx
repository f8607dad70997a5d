import { useQuery } from '@tanstack/react-query';
import { allows } from '../allowed';
import { AccessReview } from '../components/AccessReview';
import { History } from '../components/History';
import { ScimTokens } from '../components/ScimTokens';
import { UndeliveredMail } from '../components/UndeliveredMail';
import { plural, Spinner, useTitle } from '../components/ui';
import { Webhooks } from '../components/Webhooks';
import { queries } from '../queries';
import { useSession } from '../session';
import { Members, useMembers } from './organization/Members';
import { OrgInvitations } from './organization/OrgInvitations';
import { Teams } from './organization/Teams';
import { OrgProjects } from './Project';

/** An organization's page: its members, invitations, teams and projects, and for those who may, its admin panels. */
export function Organization({ id }: { id: string }) {
  const { organizations } = useSession();
  const org = organizations.find((o) => o.id === id);
  useTitle(org?.name ?? null);
  const members = useMembers(id).data?.pages.flatMap((page) => page.items) ?? null;
  const teams = useQuery(queries.teams(id)).data?.items ?? [];
  if (!org) return <main className="page">{organizations.length ? <p>This organization was not found.</p> : <Spinner />}</main>;
  const manageMembers = allows(org, 'org.manageMembers');
  const readAudit = allows(org, 'org.readAudit');
  return (
    <main className="page">
      <header className="page-header">
        <div>
          <h1>{org.name}</h1>
          <p className="muted">
            You are {org.role === 'admin' ? 'an admin' : 'a member'} of this organization
            {members ? ` · ${plural(members.length, 'member')} · ${plural(teams.length, 'team')}` : ''}
          </p>
        </div>
      </header>
      <Members org={org} manage={manageMembers} />
      {manageMembers ? <OrgInvitations orgId={id} /> : null}
      <Teams orgId={id} members={members ?? []} manage={allows(org, 'org.manageTeams')} />
      <OrgProjects orgId={id} />
      {readAudit ? <AccessReview orgId={id} /> : null}
      {manageMembers ? <UndeliveredMail orgId={id} /> : null}
      {manageMembers ? <ScimTokens orgId={id} /> : null}
      {manageMembers ? <Webhooks orgId={id} /> : null}
      {readAudit ? <History orgId={id} /> : null}
    </main>
  );
}
