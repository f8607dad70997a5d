import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, newPage, screenshot, startWebServer } from './browser.js';

const HOUR = 3_600_000;

describe('the web UI: share a dataset by e-mail, accept it, revoke it', () => {
  let server: Awaited<ReturnType<typeof startWebServer>>;
  let browser: Browser;
  const errors: string[] = [];
  beforeAll(async () => {
    server = await startWebServer();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('takes an admin and a partner through the whole collaborator flow', { timeout: 120_000 }, async () => {
    const adminContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const admin = await newPage(adminContext, errors);
    await admin.goto(server.url);

    // Sign up, create an organization from the empty state, then a dataset.
    await admin.getByRole('button', { name: 'New here? Sign up' }).click();
    await admin.getByLabel('Your name').fill('Ada');
    await admin.getByLabel('E-mail').fill('ada@survey.test');
    await admin.getByLabel('Password').fill('a long enough password');
    await admin.getByRole('button', { name: 'Sign up' }).click();
    await expect.poll(() => admin.getByRole('heading', { name: 'No datasets yet' }).isVisible()).toBe(true);
    await admin.getByLabel('Organization name').fill('Survey Co');
    await admin.getByRole('button', { name: 'Create organization' }).click();
    await admin.getByRole('heading', { name: 'Survey Co' }).waitFor();
    await admin.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Datasets', exact: true }).click();
    await admin.getByRole('button', { name: 'New dataset' }).click();
    await admin.getByLabel('Name').fill('Drone survey');
    await admin.getByLabel('Description').fill('Flights over the delta, spring 2026');
    await admin.getByRole('button', { name: 'Create dataset' }).click();
    await admin.getByRole('heading', { name: 'Drone survey', exact: true }).waitFor();

    // Change the tier from the inventory: the preview comes first.
    await admin.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Datasets', exact: true }).click();
    await admin.getByRole('link', { name: 'Drone survey' }).waitFor();
    await admin.getByLabel('Shared With for Drone survey').selectOption('external');
    await admin.getByRole('dialog').getByText("Nobody's access changes.").waitFor();
    await admin.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => admin.getByLabel('Shared With for Drone survey').inputValue()).toBe('external');
    await screenshot(admin, 'inventory');

    // Share by e-mail through the Share panel; a malformed address is refused first.
    await admin.getByRole('link', { name: 'Drone survey' }).click();
    await admin.getByRole('button', { name: 'Share' }).click();
    await admin.getByLabel('E-mail addresses').fill('bo@partner.test, not-an-address');
    await admin.getByLabel(/^annotate/).check();
    await admin.getByRole('button', { name: 'Send' }).click();
    await admin.getByRole('alert').getByText('not-an-address').waitFor();
    await screenshot(admin, 'share-panel');
    await admin.getByLabel('E-mail addresses').fill('bo@partner.test');
    await admin.getByRole('button', { name: 'Send' }).click();
    await admin.getByText('Invitations sent to bo@partner.test').waitFor();
    await admin.getByRole('button', { name: 'Done' }).click();
    await admin.getByRole('region', { name: 'Sharing settings' }).getByText('bo@partner.test').waitFor();
    await screenshot(admin, 'dataset-details');

    // The partner follows the e-mailed link in a browser of their own and signs up in place.
    const link = await server.link('bo@partner.test');
    const partnerContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const partner = await newPage(partnerContext, errors);
    await partner.goto(link);
    await partner.getByRole('heading', { name: 'Ada shared the dataset “Drone survey” with you' }).waitFor();
    expect(await partner.getByLabel('E-mail').inputValue()).toBe('bo@partner.test');
    await screenshot(partner, 'accept-invite');
    await partner.getByLabel('Your name').fill('Bo');
    await partner.getByLabel('Password').fill('another long password');
    await partner.getByRole('button', { name: 'Sign up' }).click();
    await partner.waitForURL(/\/datasets\/ds_/);
    await partner.getByRole('heading', { name: 'Drone survey', exact: true }).waitFor();
    await partner.getByRole('list', { name: 'Why you have access' }).getByText('shared directly').waitFor();

    // The admin sees Bo as an external accessor and revokes him; on reload Bo has lost access.
    await admin.reload();
    const settings = admin.getByRole('region', { name: 'Sharing settings' });
    const row = settings.getByRole('row', { name: /Bo/ });
    await row.getByText('external').waitFor();
    await row.locator('summary').click();
    await row.getByRole('list', { name: 'Why Bo has access' }).getByText('shared directly').waitFor();
    await screenshot(admin, 'sharing-settings');
    await row.getByRole('button', { name: 'Revoke' }).click();
    await admin.getByRole('dialog').getByText('annotate → no access').waitFor();
    await admin.getByRole('dialog').getByRole('button', { name: 'Yes, revoke' }).click();
    await expect.poll(() => settings.getByRole('row', { name: /Bo/ }).count()).toBe(0);
    await partner.reload();
    await partner.getByRole('heading', { name: 'Dataset not found' }).waitFor();
    await admin.getByRole('region', { name: 'History' }).getByText('grant.revoked').waitFor();

    // An invitation left for 73 hours shows the expired page with what to do.
    await admin.getByRole('button', { name: 'Share' }).click();
    await admin.getByLabel('E-mail addresses').fill('late@partner.test');
    await admin.getByRole('button', { name: 'Send' }).click();
    await admin.getByRole('button', { name: 'Done' }).click();
    const lateLink = await server.link('late@partner.test');
    server.clock.advance(73 * HOUR);
    const late = await newPage(await browser.newContext(), errors);
    await late.goto(lateLink);
    await late.getByRole('heading', { name: 'This invitation has expired' }).waitFor();
    expect(await late.getByText('extend or resend').isVisible()).toBe(true);

    // Extend from Sharing Settings brings the same link back.
    server.clock.advance(-73 * HOUR);
    await admin.reload();
    await admin
      .getByRole('row', { name: /late@partner.test/ })
      .getByRole('button', { name: 'Extend' })
      .click();
    await admin
      .getByRole('row', { name: /late@partner.test/ })
      .getByText('pending')
      .waitFor();

    // The organization page lists members, teams and the audit log.
    await admin.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Survey Co' }).click();
    await admin.getByRole('heading', { name: 'Audit log' }).waitFor();
    await admin.getByRole('heading', { name: 'Access review' }).waitFor();
    await admin.getByText('grant.revoked').waitFor();
    await screenshot(admin, 'organization');

    // Log out, and back in.
    await admin.getByRole('button', { name: 'Log out' }).click();
    await admin.getByRole('form', { name: 'Log in' }).waitFor();
    await admin.getByLabel('E-mail').fill('ada@survey.test');
    await admin.getByLabel('Password').fill('wrong password here');
    await admin.getByRole('button', { name: 'Log in' }).click();
    await admin.getByRole('alert').getByText('The e-mail or password is not right.').waitFor();
    await admin.getByLabel('Password').fill('a long enough password');
    await admin.getByRole('button', { name: 'Log in' }).click();
    await admin.getByRole('link', { name: 'Drone survey' }).waitFor();

    expect(errors).toEqual([]);
  });
});
