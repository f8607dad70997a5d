import { describe, expect, it } from 'vitest';
import { Actor } from '../helpers/client.js';
import { browserSuite, pageAs } from './browser.js';
import { expectUsable } from './page-checks.js';

describe('the web UI: provisioning tokens on the organization page', () => {
  const suite = browserSuite();

  it('creates a SCIM token shown once with the base URL, lists it without its secret, and revokes it', { timeout: 60_000 }, async () => {
    const { server, browser, errors } = suite;
    const admin = await server.person('Ada', 'ada@scim.test');
    // Only an admin whose own address is proved may make a provisioning token.
    const token = new URL(await server.link(admin.user.email, 'verify')).hash.replace('#token=', '');
    expect((await admin.post('/api/v1/auth/verify-email', { token })).status).toBe(204);
    const org = await admin.post('/api/v1/orgs', { name: 'Directory Co' });
    const page = await pageAs(browser, server, admin, errors);
    await page.goto(`${server.url}/orgs/${org.body.id}`);
    const panel = page.getByRole('region', { name: 'Provisioning (SCIM)' });
    await panel.getByText('No provisioning tokens.').waitFor();
    await panel.getByText('/scim/v2').first().waitFor();
    await panel.getByLabel('Token name').fill('Okta');
    await panel.getByRole('button', { name: 'Create token' }).click();
    const secret = panel.getByLabel('Your new provisioning token');
    await secret.waitFor();
    const secretValue = await secret.inputValue();
    expect(secretValue).toMatch(/^tss_/);
    await expectUsable(page, 'the organization page with a new SCIM token');
    const directory = new Actor(server.app, { bearer: secretValue });
    expect((await directory.get('/scim/v2/Users')).status).toBe(200);

    await panel.getByRole('button', { name: 'I have copied it' }).click();
    const list = panel.getByRole('list', { name: 'Provisioning tokens' });
    await list.getByText('Okta').waitFor();
    expect(await panel.textContent()).not.toContain(secretValue);
    await panel.getByRole('button', { name: 'Revoke provisioning token Okta' }).click();
    await page
      .getByRole('dialog', { name: /Revoke the provisioning token/ })
      .getByRole('button', { name: 'Revoke token' })
      .click();
    await panel.getByText('No provisioning tokens.').waitFor();
    expect((await directory.get('/scim/v2/Users')).status).toBe(401);
    expect(errors).toEqual([]);
  });
});
