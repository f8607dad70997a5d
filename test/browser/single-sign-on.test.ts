import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestProvider } from '../helpers/oidc.js';
import { freePort } from '../helpers/process.js';
import { launchBrowser, newPage, startWebServer, type WebServer } from './browser.js';

describe('the web UI: signing in with the identity provider', () => {
  let provider: TestProvider;
  let server: WebServer;
  let browser: Browser;
  const errors: string[] = [];

  beforeAll(async () => {
    const port = await freePort();
    provider = await TestProvider.start(`http://127.0.0.1:${port}`);
    server = await startWebServer({ port, oidc: provider.config({ name: 'Acme ID' }) });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await provider?.close();
  });

  it('goes from the login page through the provider and back, logged in', { timeout: 120_000 }, async () => {
    provider.loginAs({ sub: 'grace', email: 'grace@acme.test', email_verified: true, name: 'Grace Hopper' });
    const page = await newPage(await browser.newContext({ viewport: { width: 1280, height: 800 } }), errors);
    await page.goto(server.url);
    await page.getByRole('button', { name: 'Sign in with Acme ID' }).click();
    await page.getByRole('link', { name: 'My account: Grace Hopper' }).waitFor();
    await page.getByRole('link', { name: 'My account: Grace Hopper' }).click();
    const sso = page.getByRole('region', { name: 'Single sign-on' });
    await sso.getByText('You sign in with Acme ID.').waitFor();
    expect(await sso.getByRole('button', { name: 'Unlink from Acme ID' }).isDisabled()).toBe(true);
    await page.getByText('Your account has no password: you sign in with Acme ID.').waitFor();
    expect(errors).toEqual([]);
  });

  it('accepts an invitation through the provider and lands on the dataset', { timeout: 120_000 }, async () => {
    const ada = await server.person('Ada Lovelace', 'ada@survey.test');
    const org = (await ada.post('/api/v1/orgs', { name: 'Survey Co' })).body;
    const dataset = (await ada.post(`/api/v1/orgs/${org.id}/datasets`, { name: 'Drone survey', visibility: 'external' })).body;
    await ada.post(`/api/v1/datasets/${dataset.id}/invitations`, { emails: ['bo@partner.test'], level: 'annotate' });
    const link = await server.link('bo@partner.test');

    provider.loginAs({ sub: 'bo', email: 'bo@partner.test', email_verified: true, name: 'Bo Chen' });
    const page = await newPage(await browser.newContext({ viewport: { width: 1280, height: 800 } }), errors);
    await page.goto(link);
    await page.getByRole('heading', { name: 'Ada Lovelace shared the dataset “Drone survey” with you' }).waitFor();
    await page.getByRole('button', { name: 'Sign in with Acme ID' }).click();
    // Back on the invitation, logged in as the invited address, with the link's secret restored.
    await page.getByRole('link', { name: 'My account: Bo Chen' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/invite');
    await page.getByRole('button', { name: 'Accept' }).click();
    await page.waitForURL(`${server.url}/datasets/${dataset.id}`);
    await page.getByRole('heading', { name: 'Drone survey' }).first().waitFor();
    expect(errors).toEqual([]);
  });

  it('redeems a share link through the provider and lands on the dataset', { timeout: 120_000 }, async () => {
    const ada = await server.person('Ada Lovelace', 'ada.links@survey.test');
    const org = (await ada.post('/api/v1/orgs', { name: 'Survey Links' })).body;
    const dataset = (await ada.post(`/api/v1/orgs/${org.id}/datasets`, { name: 'Harbour scans', visibility: 'external' })).body;
    const made = await ada.post(`/api/v1/datasets/${dataset.id}/links`, {
      name: 'Partners',
      level: 'read',
      expiresAt: new Date(Date.now() + 3 * 24 * 3_600_000).toISOString(),
    });
    expect(made.status).toBe(201);

    provider.loginAs({ sub: 'eve', email: 'eve@partner.test', email_verified: true, name: 'Eve Adams' });
    const page = await newPage(await browser.newContext({ viewport: { width: 390, height: 844 } }), errors);
    await page.goto(made.body.url);
    await page.getByRole('button', { name: 'Sign in with Acme ID' }).click();
    // Back on the link page, signed in with an address the provider vouches for, the secret restored.
    await page.getByRole('button', { name: 'Get access' }).click();
    expect(new URL(page.url()).pathname).toBe('/l');
    await page.getByRole('button', { name: 'Open dataset' }).click();
    await page.waitForURL(`${server.url}/datasets/${dataset.id}`);
    await page.getByRole('heading', { name: 'Harbour scans' }).first().waitFor();
    expect(errors).toEqual([]);
  });

  it('explains a refusal for an address the provider has not verified', { timeout: 120_000 }, async () => {
    provider.loginAs({ sub: 'cy', email: 'cy@acme.test', email_verified: false, name: 'Cy Park' });
    const page = await newPage(await browser.newContext({ viewport: { width: 1280, height: 800 } }), errors);
    await page.goto(server.url);
    await page.getByRole('button', { name: 'Sign in with Acme ID' }).click();
    await page.getByRole('heading', { name: 'Your e-mail address is not verified' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/sso-error');
    expect(errors).toEqual([]);
  });

  it('under OIDC_ONLY shows only the provider on the login page', { timeout: 120_000 }, async () => {
    const port = await freePort();
    const only = await TestProvider.start(`http://127.0.0.1:${port}`);
    const web = await startWebServer({ port, oidc: only.config({ name: 'Acme ID', only: true }) });
    try {
      only.loginAs({ sub: 'dee', email: 'dee@acme.test', email_verified: true, name: 'Dee Ray' });
      const page = await newPage(await browser.newContext({ viewport: { width: 1280, height: 800 } }), errors);
      await page.goto(web.url);
      await page.getByRole('button', { name: 'Sign in with Acme ID' }).waitFor();
      expect(await page.getByLabel('Password').count()).toBe(0);
      expect(await page.getByRole('button', { name: 'New here? Sign up' }).count()).toBe(0);
      await page.getByRole('button', { name: 'Sign in with Acme ID' }).click();
      await page.getByRole('link', { name: 'My account: Dee Ray' }).waitFor();
      expect(errors).toEqual([]);
    } finally {
      await web.close();
      await only.close();
    }
  });
});
