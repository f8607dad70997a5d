import { describe, expect, it } from 'vitest';
import { browserSuite, eventually, newPage, PASSWORD, pageAs, screenshot } from './browser.js';

const HOUR = 3_600_000;

describe('the web UI: invitation links that no longer work', () => {
  const suite = browserSuite();

  it('says why a link is dead and what to do, and an extended link works again', { timeout: 120_000 }, async () => {
    const { server, browser, errors } = suite;
    const ada = await server.person('Ada Lovelace', 'ada@survey.test');
    const org = (await ada.post('/api/v1/orgs', { name: 'Survey Co' })).body;
    const dataset = (await ada.post(`/api/v1/orgs/${org.id}/datasets`, { name: 'Drone survey', visibility: 'external' })).body;
    const invite = (email: string) => ada.post(`/api/v1/datasets/${dataset.id}/invitations`, { emails: [email], level: 'write' });
    await invite('late@partner.test');
    const lateLink = await server.link('late@partner.test');

    // 73 hours later the link is expired: the page says so and who can bring it back.
    server.clock.advance(73 * HOUR);
    const visitor = await newPage(await browser.newContext({ viewport: { width: 1280, height: 800 } }), errors);
    await visitor.goto(lateLink);
    await visitor.getByRole('heading', { name: 'This invitation has expired' }).waitFor();
    await visitor.getByText('Ask the person who shared it to extend or resend it').waitFor();
    await screenshot(visitor, 'expired-invite');

    // The admin extends it from Sharing Settings; the same link then works, and the visitor declines it.
    const admin = await pageAs(browser, server, ada, errors);
    await admin.goto(`${server.url}/datasets/${dataset.id}`);
    const settings = admin.getByRole('region', { name: 'Sharing settings' });
    const late = settings.getByRole('row', { name: /late@partner\.test/ });
    await late.getByText('expired', { exact: true }).waitFor();
    await late.getByRole('button', { name: 'Extend' }).click();
    await admin.getByRole('status').getByText('The invitation to late@partner.test now lasts 72 more hours').waitFor();
    await late.getByText('pending', { exact: true }).waitFor();
    await visitor.reload();
    await visitor.getByRole('heading', { name: 'Ada Lovelace shared the dataset “Drone survey” with you' }).waitFor();
    await visitor.getByRole('button', { name: 'Decline' }).click();
    await visitor.getByRole('heading', { name: 'Invitation declined' }).waitFor();
    await visitor.reload();
    await visitor.getByRole('heading', { name: 'This invitation was declined' }).waitFor();
    await admin.reload();
    await late.getByText('declined', { exact: true }).waitFor();

    // A revoked link.
    await invite('gone@partner.test');
    const goneLink = await server.link('gone@partner.test');
    await admin.reload();
    await settings
      .getByRole('row', { name: /gone@partner\.test/ })
      .getByRole('button', { name: 'Revoke' })
      .click();
    await admin.getByRole('dialog').getByRole('button', { name: 'Yes, revoke' }).click();
    await eventually(() => settings.getByRole('row', { name: /gone@partner\.test/ }).count(), 0);
    await visitor.goto(goneLink);
    await visitor.getByRole('heading', { name: 'This invitation was withdrawn' }).waitFor();

    // Someone logged in with another address cannot accept it, and is told who can.
    await invite('dee@partner.test');
    const deeLink = await server.link('dee@partner.test');
    const ben = await server.person('Ben Okafor', 'ben@elsewhere.test');
    const wrong = await pageAs(browser, server, ben, errors);
    await wrong.goto(deeLink);
    await wrong.getByRole('alert').getByText('but you are logged in as').waitFor();
    expect(await wrong.getByRole('button', { name: 'Accept' }).count()).toBe(0);

    // A used link: a stranger is told so; the person who accepted it goes straight to the dataset.
    await invite('bo@partner.test');
    const boLink = await server.link('bo@partner.test');
    const token = new URL(boLink).hash.replace('#token=', '');
    const signup = await fetch(`${server.url}/api/v1/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'bo@partner.test', password: PASSWORD, name: 'Bo Carter', inviteToken: token }),
    });
    expect(signup.status).toBe(201);
    await visitor.goto(boLink);
    await visitor.getByRole('heading', { name: 'This invitation has already been used' }).waitFor();
    const boActor = await server.logIn('bo@partner.test');
    const bo = await pageAs(browser, server, boActor, errors);
    await bo.goto(boLink);
    await bo.getByRole('heading', { name: 'Drone survey', exact: true }).waitFor();

    // Once Bo's access is revoked, the old link says so rather than offering to open the dataset.
    expect((await ada.delete(`/api/v1/datasets/${dataset.id}/sharing/users/${boActor.id}`)).status).toBe(204);
    await bo.goto(`${server.url}/`);
    await bo.goto(boLink);
    await bo.getByRole('heading', { name: 'Your access to this dataset was removed' }).waitFor();
    expect(await bo.getByRole('button', { name: 'Open it' }).count()).toBe(0);
    await bo.getByRole('button', { name: 'Go to Tessera' }).click();
    await bo.getByRole('heading', { name: 'Datasets', exact: true }).waitFor();

    // A new link in the same tab (only the fragment changes) shows that invitation, not the old one.
    await invite('bo@partner.test');
    const second = await server.link('bo@partner.test');
    await bo.goto(boLink);
    await bo.getByRole('heading', { name: 'Your access to this dataset was removed' }).waitFor();
    await bo.evaluate((hash) => {
      window.location.hash = hash;
    }, new URL(second).hash);
    await bo.getByRole('heading', { name: 'Ada Lovelace shared the dataset “Drone survey” with you' }).waitFor();
    await bo.getByRole('button', { name: 'Accept', exact: true }).click();
    await bo.getByRole('heading', { name: 'Drone survey', exact: true }).waitFor();

    expect(errors).toEqual([]);
  });
});
