import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { browserSuite, newPage, pageAs } from './browser.js';

/** Records what the browser refused under the page's Content-Security-Policy. */
function cspViolations(page: Page): string[] {
  const seen: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) seen.push(message.text());
  });
  return seen;
}

describe('the web app and the API docs under the Content-Security-Policy', () => {
  const suite = browserSuite();

  it('runs the app with nothing refused by the policy', { timeout: 60_000 }, async () => {
    const { server, browser, errors } = suite;
    const ada = await server.person('Ada Lovelace', 'ada@csp.test');
    const page = await pageAs(browser, server, ada, errors);
    const refused = cspViolations(page);
    const response = await page.goto(server.url);
    expect(response?.headers()['content-security-policy']).toContain("base-uri 'none'");
    await page.getByRole('heading', { name: 'No datasets yet' }).waitFor();
    await page.getByLabel('Organization name').fill('Policy Co');
    await page.getByRole('button', { name: 'Create organization' }).click();
    await page.getByRole('heading', { name: 'Policy Co', exact: true }).waitFor();
    expect(refused).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('renders Swagger UI at /api/docs with nothing refused by the policy', { timeout: 60_000 }, async () => {
    const { server, browser, errors } = suite;
    const page = await newPage(await browser.newContext(), errors);
    const refused = cspViolations(page);
    const response = await page.goto(`${server.url}/api/docs/`);
    expect(response?.headers()['content-security-policy']).toContain("base-uri 'none'");
    await page.locator('.swagger-ui .info .title').getByText('Tessera API').waitFor();
    await page.getByText('/api/v1/orgs/{orgId}/members/{userId}/removal-preview').first().waitFor();
    expect(refused).toEqual([]);
    expect(errors).toEqual([]);
  });
});
