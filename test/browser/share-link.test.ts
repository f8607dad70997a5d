import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { browserSuite, eventually, newPage, pageAs, screenshot, screenshotOf } from './browser.js';

const VIEWPORTS = [
  { name: 'desktop', width: 1280, height: 900 },
  { name: 'phone', width: 390, height: 844 },
] as const;

/** No page-wide horizontal scroll: the document is no wider than the window (a table may scroll in its own box). */
const pageWidthFits = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth);

describe('the web UI: share links', () => {
  const suite = browserSuite();

  it.each(VIEWPORTS)(
    'an admin makes a link and copies it; a newcomer signs up from it, confirms the address and lands on the dataset ($name)',
    { timeout: 180_000 },
    async ({ name, width, height }) => {
      const { server, browser, errors } = suite;
      const ada = await server.person('Ada Lovelace', `ada.${name}@survey.test`);
      const org = (await ada.post('/api/v1/orgs', { name: `Survey Co ${name}` })).body;
      const dataset = (await ada.post(`/api/v1/orgs/${org.id}/datasets`, { name: 'Drone survey', visibility: 'external' })).body;

      // The admin makes a link in the Share panel; the url is shown once, and Copy puts it on the clipboard.
      const admin = await pageAs(browser, server, ada, errors);
      await admin.setViewportSize({ width, height });
      await admin.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
      await admin.goto(`${server.url}/datasets/${dataset.id}`);
      await admin.getByRole('button', { name: 'Share' }).click();
      const panel = admin.getByRole('dialog', { name: 'Share' });
      await panel.getByLabel('Link name').fill('Partner review');
      await panel.getByLabel('Link level').selectOption('annotate');
      await panel.getByLabel('Max uses').fill('5');
      await panel.getByRole('button', { name: 'Create link' }).click();
      await panel.getByRole('heading', { name: 'Link “Partner review” is ready' }).waitFor();
      const url = await panel.getByLabel('Link', { exact: true }).inputValue();
      expect(url).toMatch(new RegExp(`^${server.url}/l#token=[A-Za-z0-9_-]{43}$`));
      await panel.getByRole('button', { name: 'Copy' }).click();
      await panel.getByText('Copied to the clipboard.').waitFor();
      expect(await admin.evaluate(() => navigator.clipboard.readText())).toBe(url);
      expect(await pageWidthFits(admin)).toBe(true);
      if (name === 'desktop') await screenshotOf(panel, 'share-link-created');
      await panel.getByRole('button', { name: 'Close' }).click();
      const links = admin.getByRole('list', { name: 'Share links' });
      const row = links.getByRole('listitem', { name: 'Partner review' });
      await row.getByText('0 / 5').waitFor();
      await row.getByText('made by Ada Lovelace').waitFor();

      // A newcomer opens the link in a browser of their own and signs up in place.
      const email = `newcomer.${name}@partner.test`;
      const visitor = await newPage(await browser.newContext({ viewport: { width, height } }), errors);
      await visitor.goto(url);
      await visitor.getByRole('heading', { name: 'Ada Lovelace shared the dataset “Drone survey”' }).waitFor();
      await visitor.getByText('annotate (review)').waitFor();
      expect(await pageWidthFits(visitor)).toBe(true);
      if (name === 'desktop') await screenshot(visitor, 'share-link');
      await visitor.getByLabel('Your name').fill('Noor Haddad');
      await visitor.getByLabel('E-mail').fill(email);
      await visitor.getByLabel('Password').fill('quiet lantern harbour 81');
      await visitor.getByRole('button', { name: 'Sign up' }).click();

      // The address is not confirmed yet: the page asks for it and keeps the link.
      await visitor.getByRole('heading', { name: 'Confirm your e-mail address first' }).waitFor();
      expect(await pageWidthFits(visitor)).toBe(true);
      const verify = await server.link(email, 'verify');
      const token = new URL(verify).hash.replace('#token=', '');
      const confirmed = await visitor.request.post(`${server.url}/api/v1/auth/verify-email`, { data: { token } });
      expect(confirmed.status()).toBe(204);
      await visitor.getByRole('button', { name: 'Continue' }).click();
      await visitor.getByText('You have annotate access to “Drone survey”.').waitFor();
      await visitor.getByRole('button', { name: 'Open dataset' }).click();
      await visitor.waitForURL(`${server.url}/datasets/${dataset.id}`);
      await visitor.getByRole('heading', { name: 'Drone survey', exact: true }).waitFor();
      expect(await pageWidthFits(visitor)).toBe(true);

      // The admin sees the use and who made it; after Revoke the link is dead for the next person.
      await admin.reload();
      await row.getByText('1 / 5').waitFor();
      await row.getByText('Redemptions').click();
      await row.getByRole('list', { name: 'Who used it' }).getByText('Noor Haddad').waitFor();
      expect(await pageWidthFits(admin)).toBe(true);
      if (name === 'desktop') await screenshotOf(admin.getByRole('region', { name: 'Sharing settings' }), 'share-links-settings');
      await row.getByRole('button', { name: 'Revoke' }).click();
      await admin.getByRole('dialog').getByRole('button', { name: 'Yes, revoke' }).click();
      await eventually(() => row.getByText('revoked', { exact: true }).count(), 1);
      const late = await newPage(await browser.newContext({ viewport: { width, height } }), errors);
      await late.goto(url);
      await late.getByRole('heading', { name: 'This link was revoked' }).waitFor();
      expect(await pageWidthFits(late)).toBe(true);

      expect(errors).toEqual([]);
    },
  );

  it('says plainly why a link cannot be used: used up, wrong domain, ended', { timeout: 120_000 }, async () => {
    const { server, browser, errors } = suite;
    const ada = await server.person('Ada Lovelace', 'ada.rules@survey.test');
    const org = (await ada.post('/api/v1/orgs', { name: 'Survey Rules' })).body;
    const dataset = (await ada.post(`/api/v1/orgs/${org.id}/datasets`, { name: 'Street frames', visibility: 'external' })).body;
    const make = async (body: Record<string, unknown>) => {
      const res = await ada.post(`/api/v1/datasets/${dataset.id}/links`, {
        name: 'rules',
        level: 'read',
        expiresAt: new Date(server.clock.now() + 3 * 24 * 3_600_000).toISOString(),
        ...body,
      });
      expect(res.status).toBe(201);
      return res.body.url as string;
    };
    const verified = async (name: string, email: string) => {
      const person = await server.person(name, email);
      const token = new URL(await server.link(email, 'verify')).hash.replace('#token=', '');
      expect((await person.post('/api/v1/auth/verify-email', { token })).status).toBe(204);
      return person;
    };

    // One use: whoever took it opens the dataset from the used-up page; anyone else is told it is used up.
    const once = await make({ maxUses: 1 });
    const first = await verified('First Taker', 'first@partner.test');
    const taker = await pageAs(browser, server, first, errors);
    await taker.goto(once);
    await taker.getByRole('button', { name: 'Get access' }).click();
    await taker.getByRole('button', { name: 'Open dataset' }).waitFor();
    await taker.reload();
    await taker.getByRole('heading', { name: 'This link has been used up' }).waitFor();
    await taker.getByRole('button', { name: 'I used it: open the dataset' }).click();
    await taker.getByRole('button', { name: 'Open dataset' }).click();
    await taker.getByRole('heading', { name: 'Street frames', exact: true }).waitFor();
    const stranger = await newPage(await browser.newContext({ viewport: { width: 390, height: 844 } }), errors);
    await stranger.goto(once);
    await stranger.getByRole('heading', { name: 'This link has been used up' }).waitFor();
    expect(await pageWidthFits(stranger)).toBe(true);

    // Only for one domain: someone logged in with another address is told so and may switch accounts.
    const partnersOnly = await make({ allowedDomains: ['partner.test'] });
    const other = await verified('Other Person', 'other@elsewhere.test');
    const wrong = await pageAs(browser, server, other, errors);
    await wrong.goto(partnersOnly);
    await wrong.getByText('only for addresses at partner.test').waitFor();
    await wrong.getByRole('button', { name: 'Get access' }).click();
    await wrong.getByRole('alert').filter({ hasText: 'This link is only for addresses at partner.test' }).waitFor();
    await wrong.getByRole('button', { name: 'Log out and use another account' }).click();
    await wrong.getByRole('button', { name: 'Sign up' }).waitFor();

    // Past its end date the link says it has ended.
    const ending = await make({});
    server.clock.advance(4 * 24 * 3_600_000);
    await stranger.goto(ending);
    await stranger.getByRole('heading', { name: 'This link has ended' }).waitFor();
    expect(await pageWidthFits(stranger)).toBe(true);

    expect(errors).toEqual([]);
  });
});
