import { describe, expect, it } from 'vitest';
import type { TestServer } from '../helpers/server.js';
import { world } from '../helpers/world.js';
import { browserSuite, screenshot } from './browser.js';
import { expectUsable, pageAt, VIEWPORTS } from './page-checks.js';

const ORG = 'Survey Company of the Northern Delta';
const DATASET = 'Drone survey of the northern delta, spring campaign (deduplicated)';
const TEAM = 'Labelers of the long spring campaign';

describe('the web UI at desktop and phone width', () => {
  const suite = browserSuite();

  it('fits every page of an admin on the screen, in the words of both families of users, with dates that name their zone', {
    timeout: 240_000,
  }, async () => {
    const { server, browser, errors } = suite;
    const seedable = { app: server.app, ctx: server.ctx, mailer: server.mailer, smtp: undefined } as unknown as TestServer;
    const w = await world(seedable)
      .org(ORG, 'ada')
      .member('cy')
      .member('dee', 'admin')
      .team(TEAM, ['cy'])
      .dataset(DATASET, { tier: 'external' })
      .grant(DATASET, 'cy', 'annotate')
      .teamGrant(DATASET, TEAM, 'write')
      .build();
    const ada = w.users.ada!;
    const datasetId = w.datasets[DATASET]!;
    await ada.post(`/api/v1/datasets/${datasetId}/invitations`, {
      emails: ['bartholomew.longname@partner-organisation.test'],
      level: 'read',
    });
    await ada.post(`/api/v1/orgs/${w.orgs[ORG]!.id}/invitations`, {
      emails: ['someone.with.a.long.address@survey-company.test'],
      role: 'member',
    });

    for (const viewport of VIEWPORTS) {
      const phone = viewport.name === 'phone';
      const page = await pageAt(browser, server, viewport, errors, ada);
      await page.goto(server.url);
      const row = page.getByRole('row', { name: /Drone survey/ });
      await row.getByText('admin (manage)').waitFor();
      await row.getByText(`${TEAM} · write (curate)`).waitFor();
      // The top bar keeps "Log out" on one line.
      const logOut = await page.getByRole('button', { name: 'Log out' }).boundingBox();
      expect(logOut!.height).toBeLessThan(40);
      // On a phone the inventory says that more columns are off to the side.
      expect(await page.getByText('Scroll the table sideways for my level, sharing and items').isVisible()).toBe(phone);
      // On a laptop every column fits, the Shared With choice in full.
      const hidden = await page.locator('.table-wrap').evaluate((wrap) => wrap.scrollWidth - wrap.clientWidth);
      if (phone) expect(hidden).toBeGreaterThan(0);
      else expect(hidden).toBeLessThanOrEqual(0);
      await expectUsable(page, `the inventory (${viewport.name})`);
      if (phone) await screenshot(page, 'phone-inventory');

      await row.getByRole('link', { name: DATASET, exact: true }).click();
      const settings = page.getByRole('region', { name: 'Sharing settings' });
      const invited = settings.getByRole('row', { name: /bartholomew/ });
      // A pending invitation says until when, in a named zone, beside what is left.
      await invited.getByText(/until \w{3} \d{1,2}, \d{4}, \d{2}:\d{2} UTC · 2 d 23 h left|until .* UTC · 3 d left/).waitFor();
      const cyLevel = settings.getByLabel(`Level of ${w.users.cy!.user.name}`);
      await expect.poll(() => cyLevel.inputValue()).toBe('annotate');
      expect(await cyLevel.locator('option:checked').textContent()).toBe('annotate (review)');
      await page.getByText(/^Created$/).waitFor();
      await expectUsable(page, `the dataset's details (${viewport.name})`);

      // The toolbar brings the sharing settings first and focuses them.
      await page.getByRole('toolbar', { name: 'Dataset actions' }).getByRole('button', { name: 'Sharing settings' }).click();
      await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('sharing-settings');
      await expectUsable(page, `the dataset's sharing settings (${viewport.name})`);
      if (phone) await screenshot(page, 'phone-sharing-settings');

      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: ORG }).click();
      await page.getByRole('heading', { name: ORG, exact: true }).waitFor();
      await page
        .getByRole('region', { name: 'Invitations' })
        .getByText(/until .* UTC · (2 d 23 h|3 d) left/)
        .waitFor();
      await expectUsable(page, `the organization (${viewport.name})`);

      await page.goto(`${server.url}/reset#token=nothing`);
      await page.getByRole('heading', { level: 1, name: 'Choose a new password' }).waitFor();
      await expectUsable(page, `the password reset page (${viewport.name})`);
      await page.context().close();
    }
    expect(errors).toEqual([]);
  });
});
