import type { Route } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { browserSuite, eventually, newPage, PASSWORD, pageAs, screenshot, screenshotOf } from './browser.js';

describe('the web UI: a new user sets up an organization', () => {
  const suite = browserSuite();

  it('signs up, creates an organization and a dataset, invites a colleague, and manages members and teams', {
    timeout: 120_000,
  }, async () => {
    const { server, browser, errors } = suite;
    const admin = await newPage(await browser.newContext({ viewport: { width: 1280, height: 800 } }), errors);
    await admin.goto(server.url);
    await admin.getByRole('button', { name: 'New here? Sign up' }).click();
    await admin.getByLabel('Your name').fill('Ada Lovelace');
    await admin.getByLabel('E-mail').fill('ada@survey.test');
    await admin.getByLabel('Password').fill(PASSWORD);
    await admin.getByRole('button', { name: 'Sign up' }).click();

    // The empty inventory says what to do next.
    await admin.getByRole('heading', { name: 'No datasets yet' }).waitFor();
    await admin.getByText('Open the link in their invitation e-mail').waitFor();
    await admin.getByLabel('Organization name').fill('Survey Co');
    await admin.getByRole('button', { name: 'Create organization' }).click();
    await admin.getByRole('heading', { name: 'Survey Co', exact: true }).waitFor();
    await admin.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Datasets', exact: true }).click();
    await admin.getByRole('button', { name: 'New dataset' }).click();
    await admin.getByLabel('Name').fill('Drone survey');
    await admin.getByLabel('Description').fill('Flights over the delta, spring 2026');
    await admin.getByRole('button', { name: 'Create dataset' }).click();
    await admin.getByRole('heading', { name: 'Drone survey', exact: true }).waitFor();

    // Invite a colleague by e-mail; she signs up from the link and lands on the organization.
    await admin.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Survey Co' }).click();
    await admin.getByLabel('Invite by e-mail').fill('cy@survey.test');
    await admin.getByRole('button', { name: 'Invite', exact: true }).click();
    await admin.getByRole('status').getByText('Invitations sent to cy@survey.test.').waitFor();
    const colleague = await newPage(await browser.newContext({ viewport: { width: 1280, height: 800 } }), errors);
    await colleague.goto(await server.link('cy@survey.test'));
    await colleague.getByRole('heading', { name: 'Ada Lovelace invited you to the organization Survey Co' }).waitFor();
    await colleague.getByLabel('Your name').fill('Cy Park');
    await colleague.getByLabel('Password').fill('another long password');
    await colleague.getByRole('button', { name: 'Sign up' }).click();
    await colleague.getByRole('heading', { name: 'Survey Co', exact: true }).waitFor();
    await colleague.getByText('You are a member of this organization').waitFor();
    expect(await colleague.getByLabel('Invite by e-mail').count()).toBe(0);

    // Open invitations are listed for the admin, with what can be done about each; an accepted one is not.
    await admin.getByLabel('Invite by e-mail').fill('eve@partner.test');
    await admin.getByLabel('Role', { exact: true }).selectOption('admin');
    await admin.getByRole('button', { name: 'Invite', exact: true }).click();
    const invitations = admin.getByRole('region', { name: 'Invitations' });
    const eve = invitations.getByRole('row', { name: /eve@partner\.test/ });
    await eve.getByText('as admin').waitFor();
    await eve.getByText(/2 d 23 h left|3 d left/).waitFor();
    expect(await invitations.getByRole('row', { name: /cy@survey\.test/ }).count()).toBe(0);
    const firstLink = await server.link('eve@partner.test');
    await eve.getByRole('button', { name: 'Resend' }).click();
    await invitations.getByRole('status').getByText('A new link is on its way to eve@partner.test').waitFor();
    await eventually(async () => (await server.link('eve@partner.test')) !== firstLink, true);
    await eve.getByRole('button', { name: 'Revoke' }).click();
    await admin.getByRole('dialog', { name: 'Please confirm' }).getByRole('button', { name: 'Revoke' }).click();
    await eventually(() => invitations.getByRole('row', { name: /eve@partner\.test/ }).count(), 0);
    await invitations.getByText('No open invitations.').waitFor();

    // Members: the process-datasets capability; teams and their members.
    const dan = await server.person('Dan Moreau', 'dan@survey.test');
    const orgId = new URL(admin.url()).pathname.replace('/orgs/', '');
    const ada = await server.logIn('ada@survey.test');
    await server.join(ada, orgId, dan);
    const drone = (await ada.get('/api/v1/datasets')).body.items.find((d: { name: string }) => d.name === 'Drone survey').id;
    await ada.put(`/api/v1/datasets/${drone}/sharing/users/${dan.id}`, { level: 'write' });
    await admin.reload();
    const members = admin.getByRole('region', { name: 'Members' });
    await members.getByRole('row', { name: /Dan Moreau/ }).waitFor();
    await members.getByLabel('Cy Park may process datasets').check();
    await admin.getByLabel('New team').fill('Labelers');
    await admin.getByRole('button', { name: 'Create team' }).click();
    await admin.getByRole('button', { name: /Labelers/ }).click();
    await admin.getByLabel('Add a member to Labelers').selectOption({ label: 'Cy Park' });
    await admin.getByRole('button', { name: 'Remove Cy Park from Labelers' }).waitFor();
    await admin.getByRole('button', { name: /Labelers \(1 member\)/ }).waitFor();
    await admin.getByLabel('New team').fill('GIS');
    await admin.getByRole('button', { name: 'Create team' }).click();
    await admin.getByRole('button', { name: /GIS/ }).click();
    await admin.getByLabel('New name for GIS').fill('Mapping');
    await admin.getByRole('button', { name: 'Rename GIS' }).click();
    await admin.getByLabel('Add a member to Mapping').selectOption({ label: 'Dan Moreau' });
    await admin.getByRole('button', { name: /Mapping \(1 member\)/ }).waitFor();
    await admin.getByLabel('New team').fill('Scratch');
    await admin.getByRole('button', { name: 'Create team' }).click();
    await admin.getByRole('button', { name: /Scratch/ }).click();
    await admin.getByRole('button', { name: 'Delete team Scratch' }).click();
    await admin.getByRole('dialog', { name: 'Delete the team Scratch?' }).getByRole('button', { name: 'Delete team' }).click();
    await eventually(() => admin.getByRole('button', { name: /Scratch/ }).count(), 0);
    await admin.reload();
    await eventually(() => members.getByLabel('Cy Park may process datasets').isChecked(), true);

    // Removing a member first shows what it takes away, with the choice to keep their grants.
    await members
      .getByRole('row', { name: /Dan Moreau/ })
      .getByRole('button', { name: 'Remove' })
      .click();
    const removal = admin.getByRole('dialog', { name: 'Remove Dan Moreau from Survey Co?' });
    const takenAway = removal.getByRole('region', { name: 'What the removal takes away' });
    await takenAway.getByText('Teams left (1)').waitFor();
    await takenAway.getByRole('listitem').filter({ hasText: 'Mapping' }).waitFor();
    await takenAway.getByText('Direct grants revoked (1)').waitFor();
    await takenAway.getByRole('listitem').filter({ hasText: 'Drone survey: write' }).waitFor();
    const keep = removal.getByLabel('Keep their 1 direct grant as an external collaborator');
    expect(await keep.isChecked()).toBe(false);
    await screenshotOf(removal, 'remove-member');
    await removal.getByRole('button', { name: 'Remove' }).click();
    await eventually(() => members.getByRole('row', { name: /Dan Moreau/ }).count(), 0);
    expect((await dan.get(`/api/v1/datasets/${drone}`)).status).toBe(404);
    expect((await ada.get(`/api/v1/datasets/${drone}/sharing`)).body.users.map((g: { user: { id: string } }) => g.user.id)).not.toContain(
      dan.id,
    );

    await admin.getByRole('button', { name: /Labelers/ }).click();
    await admin.getByRole('button', { name: 'Remove Cy Park from Labelers' }).waitFor();
    const audit = admin.getByRole('region', { name: 'Audit log' });
    await audit.getByText('member.removed').waitFor();
    await audit.getByText('grant.revoked').first().waitFor();
    await audit.getByText('team.member_added').first().waitFor();
    await audit.getByText('member.updated').waitFor();
    await audit.getByText('team.renamed').waitFor();
    await audit.getByText('team.deleted').waitFor();
    await screenshot(admin, 'organization');

    expect(errors).toEqual([]);
  });

  it("pages a large organization's members and keeps what is shown after a change", { timeout: 120_000 }, async () => {
    const { server, browser, errors } = suite;
    const ada = await server.person('Ada Lovelace', 'ada@big.test');
    const org = (await ada.post('/api/v1/orgs', { name: 'Big Co' })).body;
    // 120 members written straight into the store: the page, not the invitation flow, is under test.
    const now = Date.now();
    const people = Array.from({ length: 120 }, (_, i) => ({
      id: `usr_bulk${String(i).padStart(3, '0')}`,
      email: `member${String(i).padStart(3, '0')}@big.test`,
      name: `Member ${String(i).padStart(3, '0')}`,
      password_hash: 'unusable',
      created_at: now,
    }));
    await server.ctx.db.insertInto('users').values(people).execute();
    await server.ctx.db
      .insertInto('org_members')
      .values(people.map((p) => ({ org_id: org.id, user_id: p.id, role: 'member' as const, process_datasets: 0, created_at: now })))
      .execute();

    const admin = await pageAs(browser, server, ada, errors);
    await admin.goto(`${server.url}/orgs/${org.id}`);
    const members = admin.getByRole('region', { name: 'Members' });
    const rows = () => members.getByRole('row').count();
    await eventually(rows, 101); // the header and the first 100
    await members.getByRole('button', { name: 'Show more members' }).click();
    await eventually(rows, 122);
    expect(await members.getByRole('button', { name: 'Show more members' }).count()).toBe(0);

    // A change reloads the list without dropping the second page.
    await members.getByLabel('Member 119 may process datasets').check();
    await eventually(() => members.getByLabel('Member 119 may process datasets').isChecked(), true);
    await eventually(rows, 122);
    expect(errors).toEqual([]);
  });

  it('keeps a change shown when a fetch of the list already under way answers after it', { timeout: 120_000 }, async () => {
    const { server, browser, errors } = suite;
    const ada = await server.person('Ada Lovelace', 'ada@race.test');
    const org = (await ada.post('/api/v1/orgs', { name: 'Race Co' })).body;
    const cy = await server.person('Cy Park', 'cy@race.test');
    const dan = await server.person('Dan Moreau', 'dan@race.test');
    await server.join(ada, org.id, cy);
    await server.join(ada, org.id, dan);
    const admin = await pageAs(browser, server, ada, errors);
    await admin.goto(`${server.url}/orgs/${org.id}`);
    const members = admin.getByRole('region', { name: 'Members' });
    await members.getByRole('row', { name: /Dan Moreau/ }).waitFor();

    // From here each answer with the member list arrives a second late, and Cy's change two.
    const list = /\/api\/v1\/orgs\/[^/]+\/members(\?|$)/;
    const late = (ms: number) => async (route: Route) => {
      const answer = await route.fetch();
      await new Promise((resolve) => setTimeout(resolve, ms));
      await route.fulfill({ response: answer });
    };
    await admin.route(list, late(1_000));
    await admin.route(`**/api/v1/orgs/${org.id}/members/${cy.id}`, late(2_000));
    // Changing Dan's role asks for the list again; while that answer is on its way, Cy gets the capability.
    const asked = admin.waitForRequest(list);
    const answered = admin.waitForResponse(list);
    await members.getByLabel('Role of Dan Moreau').selectOption('admin');
    await asked;
    await members.getByLabel('Cy Park may process datasets').check();
    await answered;
    // That answer was read before Cy's change, which is still on its way: it must not undo what is shown.
    await admin.waitForTimeout(300);
    expect(await members.getByLabel('Cy Park may process datasets').isChecked()).toBe(true);
    await eventually(async () => {
      const listed = (await ada.get(`/api/v1/orgs/${org.id}/members`)).body.items as { user: { id: string }; processDatasets: boolean }[];
      return listed.find((m) => m.user.id === cy.id)?.processDatasets;
    }, true);
    await admin.unrouteAll();
    await admin.context().close();
  });
});
