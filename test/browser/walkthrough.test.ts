import { describe, expect, it } from 'vitest';
import { browserSuite, PASSWORD, screenshotOf } from './browser.js';
import { expectUsable, pageAt, VIEWPORTS } from './page-checks.js';

describe('the web UI: the rough edges of sharing, smoothed', () => {
  const suite = browserSuite();

  for (const viewport of VIEWPORTS) {
    it(`at ${viewport.name} size: an org admin opens the tier from the Share panel; an invitee with an account logs in; a revoked reader is told`, {
      timeout: 180_000,
    }, async () => {
      const { server, browser, errors } = suite;
      const ada = await server.person('Ada Lovelace', `ada.${viewport.name}@survey.test`);
      const org = (await ada.post('/api/v1/orgs', { name: `Survey Co ${viewport.name}` })).body;
      const dataset = (await ada.post(`/api/v1/orgs/${org.id}/datasets`, { name: 'Drone survey', visibility: 'admins' })).body;
      const boEmail = `bo.${viewport.name}@partner.test`;
      const bo = await server.person('Bo Carter', boEmail);

      // Sharing with an outsider is refused by the tier; the org admin opens it right there, seeing the preview first.
      const admin = await pageAt(browser, server, viewport, errors, ada);
      await admin.goto(`${server.url}/datasets/${dataset.id}`);
      await admin.getByRole('button', { name: 'Share', exact: true }).click();
      const panel = admin.getByRole('dialog', { name: 'Share' });
      await panel.getByLabel('E-mail addresses').fill(boEmail);
      await panel.getByLabel(/^read \(view\)/).check();
      await panel.getByRole('button', { name: 'Send' }).click();
      const offer = panel.getByRole('region', { name: 'Share with people outside the organization?' });
      await offer.getByText('Nobody else’s access changes.').or(offer.getByText("Nobody else's access changes.")).waitFor();
      await expectUsable(admin, `the Share panel offering the tier (${viewport.name})`);
      if (viewport.name === 'desktop') await screenshotOf(offer, 'share-panel-tier');
      // The mail server holds the e-mail for a moment, so it is first shown queued.
      let release = () => {};
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      const send = server.mailer.send.bind(server.mailer);
      server.mailer.send = async (message) => {
        await held;
        return send(message);
      };
      await offer.getByRole('button', { name: 'Change Shared With and send' }).click();
      await panel.getByText(`Invitations sent to ${boEmail}.`).waitFor();
      expect((await ada.get(`/api/v1/datasets/${dataset.id}`)).body.visibility).toBe('external');
      await panel.getByRole('button', { name: 'Done' }).click();
      // Once it leaves, the sharing settings say so in place, without a reload.
      const invited = admin
        .getByRole('region', { name: 'Sharing settings' })
        .getByRole('row', { name: new RegExp(boEmail.replace('.', '\\.')) });
      await invited.getByText('e-mail queued').waitFor();
      release();
      await invited.getByText('e-mail sent').waitFor();
      server.mailer.send = send;

      // Bo already has an account: the invitation leads with log-in, the address filled in.
      const link = await server.link(boEmail);
      const mail = server.mailer.sent.filter((m) => m.to === boEmail).at(-1)!;
      expect(mail.html).toContain('Accept invitation');
      const partner = await pageAt(browser, server, viewport, errors);
      await partner.goto(link);
      const logIn = partner.getByRole('form', { name: 'Log in' });
      await logIn.getByText('This address already has an account: log in to accept.').waitFor();
      expect(await logIn.getByLabel('E-mail').inputValue()).toBe(boEmail);
      await expectUsable(partner, `the invitation of someone with an account (${viewport.name})`);
      await logIn.getByLabel('Password').fill(PASSWORD);
      await logIn.getByRole('button', { name: 'Log in' }).click();
      await partner.getByRole('heading', { name: 'Drone survey', exact: true }).waitFor();
      await partner.getByText('read (view)', { exact: true }).first().waitFor();

      // Bo's access is revoked while the page is open: coming back to it says so, with the way back.
      expect((await ada.delete(`/api/v1/datasets/${dataset.id}/sharing/users/${bo.id}`)).status).toBe(204);
      await partner.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
      await partner.getByRole('heading', { name: 'Your access to this dataset was removed' }).waitFor();
      await expectUsable(partner, `a revoked reader's dataset page (${viewport.name})`);
      await partner.getByRole('button', { name: 'Back to my datasets' }).click();
      await partner.getByRole('heading', { name: 'Datasets', exact: true }).waitFor();
      expect(errors).toEqual([]);
    });
  }
});
