import { describe, expect, it } from 'vitest';
import { browserSuite, eventually, pageAs, screenshot } from './browser.js';

describe('the web UI: change who a dataset is shared with from the inventory', () => {
  const suite = browserSuite();

  it('previews who gains and loses access, applies the tier, and the member sees it on reload', { timeout: 120_000 }, async () => {
    const { server, browser, errors } = suite;
    const ada = await server.person('Ada Lovelace', 'ada@survey.test');
    const cy = await server.person('Cy Park', 'cy@survey.test');
    const hana = await server.person('Hana Ito', 'hana@harbor.test');
    const survey = (await ada.post('/api/v1/orgs', { name: 'Survey Co' })).body;
    const harbor = (await hana.post('/api/v1/orgs', { name: 'Harbor Labs' })).body;
    await server.join(ada, survey.id, cy);
    await server.join(hana, harbor.id, ada);
    const labelers = (await ada.post(`/api/v1/orgs/${survey.id}/teams`, { name: 'Labelers' })).body;
    const gis = (await ada.post(`/api/v1/orgs/${survey.id}/teams`, { name: 'GIS' })).body;
    await ada.put(`/api/v1/teams/${labelers.id}/members/${cy.id}`);
    const create = async (owner: typeof ada, orgId: string, name: string, visibility: string, description = '') =>
      (await owner.post(`/api/v1/orgs/${orgId}/datasets`, { name, visibility, description })).body.id as string;
    await create(ada, survey.id, 'Drone survey', 'external', 'Flights over the delta, spring 2026');
    const frames = await create(ada, survey.id, 'Street frames', 'organization', 'Dashcam frames for the vehicle detector');
    await create(ada, survey.id, 'Parcels 2025', 'admins', 'Cadastral parcels, not yet cleared for release');
    await create(ada, survey.id, 'Lidar tiles', 'organization');
    await create(hana, harbor.id, 'Harbor cams', 'organization', 'Quay cameras, hourly stills');
    await ada.put(`/api/v1/datasets/${frames}/sharing/teams/${labelers.id}`, { level: 'annotate' });
    await ada.put(`/api/v1/datasets/${frames}/sharing/teams/${gis.id}`, { level: 'write' });

    const admin = await pageAs(browser, server, ada, errors);
    await admin.goto(server.url);
    const names = () => admin.locator('table td:first-child > a').allTextContents();
    await eventually(names, ['Drone survey', 'Harbor cams', 'Lidar tiles', 'Parcels 2025', 'Street frames']);
    await admin
      .getByRole('row', { name: /Street frames/ })
      .getByText('GIS · write (curate)')
      .waitFor();
    await screenshot(admin, 'inventory');

    // Filters: by organization (where Ada is a plain member, the tier is text, not a control), then by level.
    await admin.getByLabel('Organization', { exact: true }).selectOption({ label: 'Harbor Labs' });
    await eventually(names, ['Harbor cams']);
    expect(await admin.getByLabel('Shared With for Harbor cams').count()).toBe(0);
    await admin.getByLabel('Organization', { exact: true }).selectOption({ label: 'All organizations' });
    await admin.getByLabel('My level at least').selectOption('admin');
    await eventually(names, ['Drone survey', 'Lidar tiles', 'Parcels 2025', 'Street frames']);
    await admin.getByLabel('My level at least').selectOption('read');

    const member = await pageAs(browser, server, cy, errors);
    await member.goto(server.url);
    const memberNames = () => member.locator('table td:first-child > a').allTextContents();
    await eventually(memberNames, ['Drone survey', 'Lidar tiles', 'Street frames']);

    // Opening Parcels 2025 to the organization: the preview names Cy as gaining read.
    await admin.getByLabel('Shared With for Parcels 2025').selectOption('organization');
    const dialog = admin.getByRole('dialog');
    await dialog.getByRole('heading', { name: 'Gain access (1)' }).waitFor();
    await dialog.getByText('Cy Park').waitFor();
    await dialog.getByText('no access → read').waitFor();
    await dialog.getByRole('button', { name: 'Apply' }).click();
    await eventually(() => admin.getByLabel('Shared With for Parcels 2025').inputValue(), 'organization');
    await member.reload();
    await eventually(memberNames, ['Drone survey', 'Lidar tiles', 'Parcels 2025', 'Street frames']);
    expect(await member.getByLabel('Shared With for Parcels 2025').count()).toBe(0);
    await member
      .getByRole('row', { name: /Parcels 2025/ })
      .getByText('read (view)', { exact: true })
      .waitFor();

    // Cancelling leaves the tier as it was; applying Admins only takes Cy's access away.
    await admin.getByLabel('Shared With for Parcels 2025').selectOption('admins');
    await admin.getByRole('dialog').getByRole('heading', { name: 'Lose access (1)' }).waitFor();
    await admin.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
    expect(await admin.getByLabel('Shared With for Parcels 2025').inputValue()).toBe('organization');
    await admin.getByLabel('Shared With for Parcels 2025').selectOption('admins');
    await admin.getByRole('dialog').getByText('read (view) → no access').waitFor();
    await admin.getByRole('dialog').getByRole('button', { name: 'Apply' }).click();
    await eventually(() => admin.getByLabel('Shared With for Parcels 2025').inputValue(), 'admins');
    await member.reload();
    await eventually(memberNames, ['Drone survey', 'Lidar tiles', 'Street frames']);

    // A team chip leads its dataset's admin to where team sharing is changed: the sharing settings, first and focused.
    await admin
      .getByRole('row', { name: /Street frames/ })
      .getByRole('link', { name: /^GIS · write \(curate\)/ })
      .click();
    await admin.getByRole('heading', { name: 'Street frames', exact: true }).waitFor();
    await admin.getByRole('region', { name: 'Sharing settings' }).getByRole('row', { name: /GIS/ }).waitFor();
    await eventually(() => admin.evaluate(() => document.activeElement?.id), 'sharing-settings');

    expect(errors).toEqual([]);
  });
});
