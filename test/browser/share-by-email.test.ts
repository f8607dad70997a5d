import { describe, expect, it } from 'vitest';
import { browserSuite, eventually, newPage, PASSWORD, screenshot, screenshotOf } from './browser.js';

describe('the web UI: share a dataset by e-mail, accept it, revoke it', () => {
  const suite = browserSuite();

  it('takes an admin and an outside partner through the collaborator flow', { timeout: 120_000 }, async () => {
    const { server, browser, errors } = suite;
    const ada = await server.person('Ada Lovelace', 'ada@survey.test');
    const org = (await ada.post('/api/v1/orgs', { name: 'Survey Co' })).body;
    const cy = await server.person('Cy Park', 'cy@survey.test');
    await server.join(ada, org.id, cy);
    const team = (await ada.post(`/api/v1/orgs/${org.id}/teams`, { name: 'Labelers' })).body;
    await ada.put(`/api/v1/teams/${team.id}/members/${cy.id}`);
    await ada.post(`/api/v1/orgs/${org.id}/datasets`, {
      name: 'Drone survey',
      description: 'Flights over the delta, spring 2026',
      visibility: 'organization',
    });
    await ada.post(`/api/v1/orgs/${org.id}/datasets`, { name: 'Street frames', visibility: 'organization' });

    // Log in and find the dataset in the inventory.
    const admin = await newPage(await browser.newContext({ viewport: { width: 1280, height: 1000 } }), errors);
    await admin.goto(server.url);
    await admin.getByLabel('E-mail').fill('ada@survey.test');
    await admin.getByLabel('Password').fill(PASSWORD);
    await admin.getByRole('button', { name: 'Log in' }).click();
    const inventory = admin.getByRole('table');
    await inventory.getByRole('link', { name: 'Street frames' }).waitFor();
    await admin.getByLabel('Search datasets').fill('drone');
    await eventually(() => inventory.getByRole('link').allTextContents(), ['Drone survey']);
    await inventory.getByRole('link', { name: 'Drone survey' }).click();
    await admin.getByRole('heading', { name: 'Drone survey', exact: true }).waitFor();

    // The Share panel refuses a malformed address, then an outsider while the tier keeps the dataset inside; nothing is sent.
    await admin.getByRole('button', { name: 'Share' }).click();
    const panel = admin.getByRole('dialog', { name: 'Share' });
    await panel.getByLabel('E-mail addresses').fill('bo@partner.test, not-an-address');
    await panel.getByLabel(/^annotate/).check();
    await panel.getByRole('button', { name: 'Send' }).click();
    await panel.getByRole('alert').getByText('not-an-address').waitFor();
    await panel.getByLabel('E-mail addresses').fill('bo@partner.test, cy@survey.test');
    await panel.getByRole('button', { name: 'Send' }).click();
    const refused = panel.getByRole('alert');
    await refused.getByText('not a member of the organization').waitFor();
    expect(await refused.getByRole('listitem').allTextContents()).toEqual(['bo@partner.test: not a member of the organization']);
    await screenshotOf(panel, 'share-panel');
    await panel.getByRole('button', { name: 'Cancel' }).click();
    expect(await admin.getByRole('region', { name: 'Sharing settings' }).getByText('cy@survey.test').count()).toBe(0);

    // An org admin opens the dataset to external accessors from the inventory, then shares again.
    await admin.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Datasets', exact: true }).click();
    await admin.getByLabel('Shared With for Drone survey').selectOption('external');
    await admin.getByRole('dialog').getByText("Nobody's access changes.").waitFor();
    await admin.getByRole('button', { name: 'Apply' }).click();
    await eventually(() => admin.getByLabel('Shared With for Drone survey').inputValue(), 'external');
    await admin.getByRole('link', { name: 'Drone survey' }).click();
    await admin.getByRole('button', { name: 'Share' }).click();
    await panel.getByLabel('E-mail addresses').fill('bo@partner.test\ndee@partner.test');
    await panel.getByLabel(/^annotate/).check();
    await panel.getByLabel(/^Labelers/).check();
    await panel.getByRole('button', { name: 'Send' }).click();
    await panel.getByText('Invitations sent to bo@partner.test, dee@partner.test').waitFor();
    await panel.getByRole('button', { name: 'Done' }).click();
    const settings = admin.getByRole('region', { name: 'Sharing settings' });
    await settings
      .getByRole('row', { name: /bo@partner\.test/ })
      .getByText('pending')
      .waitFor();
    await settings.getByRole('row', { name: /Labelers/ }).waitFor();

    // The partner follows the e-mailed link in a browser of their own and signs up in place.
    const partner = await newPage(await browser.newContext({ viewport: { width: 1280, height: 800 } }), errors);
    await partner.goto(await server.link('bo@partner.test'));
    await partner.getByRole('heading', { name: 'Ada Lovelace shared the dataset “Drone survey” with you' }).waitFor();
    expect(await partner.getByLabel('E-mail').inputValue()).toBe('bo@partner.test');
    await screenshot(partner, 'accept-invite');
    await partner.getByLabel('Your name').fill('Bo Carter');
    await partner.getByLabel('Password').fill('another long password');
    await partner.getByRole('button', { name: 'Sign up' }).click();
    await partner.waitForURL(/\/datasets\/ds_/);
    await partner.getByRole('heading', { name: 'Drone survey', exact: true }).waitFor();
    await partner.getByRole('list', { name: 'Why you have access' }).getByText('shared directly').waitFor();
    expect(await partner.getByRole('button', { name: 'Share' }).count()).toBe(0);

    // The admin sees Bo as an external accessor, and why he has access.
    await admin.reload();
    const bo = settings.getByRole('row', { name: /Bo Carter/ });
    await bo.getByText('external').waitFor();
    await bo.locator('summary').click();
    await bo.getByRole('list', { name: 'Why Bo Carter has access' }).getByText('shared directly').waitFor();
    await settings
      .getByRole('row', { name: /dee@partner\.test/ })
      .getByText('pending')
      .waitFor();
    await screenshot(admin, 'dataset-details');
    await screenshotOf(settings, 'sharing-settings');

    // A level changes in place; the partner sees it on reload.
    await bo.getByLabel('Level of Bo Carter').selectOption('write');
    await admin.getByRole('region', { name: 'History' }).getByText('Bo Carter → write (was annotate)').waitFor();
    await partner.reload();
    await partner.getByRole('list', { name: 'Why you have access' }).getByText('write').waitFor();

    // Revoke, confirmed after seeing who loses what; on reload Bo has lost access.
    await bo.getByRole('button', { name: 'Revoke' }).click();
    const confirm = admin.getByRole('dialog');
    await confirm.getByText('write (curate) → no access').waitFor();
    await confirm.getByRole('button', { name: 'Yes, revoke' }).click();
    await eventually(() => settings.getByRole('row', { name: /Bo Carter/ }).count(), 0);
    await partner.reload();
    await partner.getByRole('heading', { name: 'Dataset not found' }).waitFor();
    await admin.getByRole('region', { name: 'History' }).getByText('grant.revoked').waitFor();

    expect(errors).toEqual([]);
  });
});
