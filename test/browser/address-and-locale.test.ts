import { describe, expect, it } from 'vitest';
import { browserSuite, eventually, newPage } from './browser.js';
import { expectUsable } from './page-checks.js';

describe('the web UI: what the address keeps, and dates in the reader’s own style', () => {
  const suite = browserSuite();

  it('keeps the inventory’s search and filters in the address, through a reload and the back button', { timeout: 90_000 }, async () => {
    const { server, browser, errors } = suite;
    const ada = await server.person('Ada Lovelace', 'ada@survey.test');
    const survey = (await ada.post('/api/v1/orgs', { name: 'Survey Co' })).body;
    const harbor = (await ada.post('/api/v1/orgs', { name: 'Harbor Labs' })).body;
    for (const [orgId, name] of [
      [survey.id, 'Drone survey'],
      [survey.id, 'Street frames'],
      [harbor.id, 'Harbor cams'],
    ])
      await ada.post(`/api/v1/orgs/${orgId}/datasets`, { name, visibility: 'organization' });

    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await context.addCookies([{ name: 'tessera_session', value: ada.auth.cookie ?? '', url: server.url }]);
    const page = await newPage(context, errors);
    await page.goto(server.url);
    const names = () => page.locator('table td:first-child > a').allTextContents();
    await eventually(names, ['Drone survey', 'Harbor cams', 'Street frames']);

    await page.getByLabel('Organization', { exact: true }).selectOption({ label: 'Survey Co' });
    await eventually(names, ['Drone survey', 'Street frames']);
    await page.getByLabel('Search datasets').fill('street');
    await eventually(names, ['Street frames']);
    await eventually(() => Promise.resolve(new URL(page.url()).searchParams.get('q')), 'street');
    expect(new URL(page.url()).searchParams.get('org')).toBe(survey.id);

    // A reload (or the address sent to a colleague) shows the same list, with the same controls set.
    await page.reload();
    await eventually(names, ['Street frames']);
    expect(await page.getByLabel('Search datasets').inputValue()).toBe('street');
    expect(await page.getByLabel('Organization', { exact: true }).inputValue()).toBe(survey.id);

    // Into a dataset and back: the list is as it was left.
    await page.getByRole('link', { name: 'Street frames' }).click();
    await page.getByRole('heading', { level: 1, name: 'Street frames' }).waitFor();
    await page.goBack();
    await eventually(names, ['Street frames']);
    expect(await page.getByLabel('Search datasets').inputValue()).toBe('street');

    await page.goto(`${server.url}/?level=admin&org=${harbor.id}`);
    await eventually(names, ['Harbor cams']);
    expect(await page.getByLabel('My level at least').inputValue()).toBe('admin');
    await expectUsable(page, 'the inventory opened from an address with filters');

    // An address that is no page says so, with the way back.
    await page.goto(`${server.url}/no/such/page`);
    await page.getByRole('heading', { name: 'Page not found' }).waitFor();
    await page.getByRole('button', { name: 'Back to my datasets' }).click();
    await eventually(names, ['Drone survey', 'Harbor cams', 'Street frames']);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('says the end chosen in a date picker in words, as an en-GB reader writes dates, with its zone', { timeout: 90_000 }, async () => {
    const { server, browser, errors } = suite;
    const ada = await server.person('Ada Lovelace', 'ada@locale.test');
    const cy = await server.person('Cy Park', 'cy@locale.test');
    const org = (await ada.post('/api/v1/orgs', { name: 'Locale Co' })).body;
    await server.join(ada, org.id, cy);
    const dataset = (await ada.post(`/api/v1/orgs/${org.id}/datasets`, { name: 'Parcels', visibility: 'admins' })).body;
    await ada.put(`/api/v1/datasets/${dataset.id}/sharing/users/${cy.id}`, { level: 'read' });

    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-GB', timezoneId: 'Europe/London' });
    await context.addCookies([{ name: 'tessera_session', value: ada.auth.cookie ?? '', url: server.url }]);
    const page = await newPage(context, errors);
    await page.goto(`${server.url}/datasets/${dataset.id}`);
    const picker = page.getByLabel('Access of Cy Park until');
    await picker.waitFor();
    // The picker's own layout is the browser's (from the system's settings); what the chosen day means
    // is said under it in the reader's style, so 12/11 cannot be misread.
    const year = new Date().getUTCFullYear() + 1;
    await picker.fill(`${year}-12-24`);
    // The end, in words and in the reader's style (day before month), with the zone named.
    const row = page.getByRole('row', { name: /Cy Park/ });
    await row.getByText(new RegExp(`^until 24 Dec ${year}, 23:59 Europe/London · `)).waitFor();
    const sharing = (await ada.get(`/api/v1/datasets/${dataset.id}/sharing`)).body;
    expect(sharing.users.find((g: { user: { id: string } }) => g.user.id === cy.id)?.expiresAt).toBe(`${year}-12-24T23:59:59.000Z`);
    await expectUsable(page, 'sharing settings in an en-GB browser');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('keeps how many pages of the inventory are shown in the address', { timeout: 60_000 }, async () => {
    const { server, browser, errors } = suite;
    const ada = await server.person('Ada Lovelace', 'ada@pages.test');
    const org = (await ada.post('/api/v1/orgs', { name: 'Pages Co' })).body;
    for (let n = 1; n <= 27; n++) await ada.post(`/api/v1/orgs/${org.id}/datasets`, { name: `Survey ${String(n).padStart(2, '0')}` });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await context.addCookies([{ name: 'tessera_session', value: ada.auth.cookie ?? '', url: server.url }]);
    const page = await newPage(context, errors);
    await page.goto(server.url);
    const shown = () => page.locator('table td:first-child > a').count();
    await eventually(shown, 25);
    await page.getByRole('button', { name: 'Load more' }).click();
    await eventually(shown, 27);
    expect(new URL(page.url()).searchParams.get('pages')).toBe('2');
    await page.reload();
    await eventually(shown, 27);
    // Back: the first page only, as it was.
    await page.goBack();
    await eventually(shown, 25);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('cancels the request for a search the reader has already changed', { timeout: 60_000 }, async () => {
    const { server, browser, errors } = suite;
    const ada = await server.person('Ada Lovelace', 'ada@cancel.test');
    const org = (await ada.post('/api/v1/orgs', { name: 'Cancel Co' })).body;
    for (const name of ['Drone survey', 'Street frames'])
      await ada.post(`/api/v1/orgs/${org.id}/datasets`, { name, visibility: 'organization' });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await context.addCookies([{ name: 'tessera_session', value: ada.auth.cookie ?? '', url: server.url }]);
    const page = await newPage(context, errors);
    await page.goto(server.url);
    const names = () => page.locator('table td:first-child > a').allTextContents();
    await eventually(names, ['Drone survey', 'Street frames']);

    // The answer for "dro" is slow; before it comes, the reader changes the search to "str".
    await page.route(
      (url) => url.pathname === '/api/v1/datasets' && url.searchParams.get('q') === 'dro',
      async (route) => {
        await new Promise((resolve) => setTimeout(resolve, 3_000));
        await route.continue().catch(() => undefined);
      },
    );
    const aborted: string[] = [];
    page.on('requestfailed', (request) => aborted.push(new URL(request.url()).searchParams.get('q') ?? ''));
    const asked = page.waitForRequest((request) => new URL(request.url()).searchParams.get('q') === 'dro');
    await page.getByLabel('Search datasets').fill('dro');
    await asked;
    await page.getByLabel('Search datasets').fill('str');
    await eventually(names, ['Street frames']);
    await eventually(() => Promise.resolve(aborted), ['dro']);
    // The late answer never lands over the newer one.
    await page.waitForTimeout(3_500);
    expect(await names()).toEqual(['Street frames']);
    expect(errors).toEqual([]);
    await context.close();
  });
});
