import { describe, expect, it } from 'vitest';
import { HOUR } from '../../src/clock.js';
import { browserSuite, pageAs } from './browser.js';

describe('the web UI: undelivered e-mail on the organization page', () => {
  const suite = browserSuite();

  it('shows an admin the invitation e-mail that did not leave, why, and sends it on "Retry now"', { timeout: 60_000 }, async () => {
    const { server, browser, errors } = suite;
    const admin = await server.person('Ada', 'ada@undelivered.test');
    const org = await admin.post('/api/v1/orgs', { name: 'Bounce Co' });
    const undelivered = async () =>
      (await admin.get(`/api/v1/orgs/${org.body.id}/undelivered`)).body.items as { id: string; email: string; reason: string | null }[];
    // Ada's own e-mail leaves first: only the invitations meet the refusing mail server.
    await server.ctx.delivery.drain();
    const send = server.mailer.send.bind(server.mailer);
    server.mailer.send = async () => {
      throw Object.assign(new Error('550 mailbox unavailable at mx.internal:25'), { responseCode: 550 });
    };
    try {
      await admin.post(`/api/v1/orgs/${org.body.id}/invitations`, { emails: ['late@partner.test', 'gone@partner.test'], role: 'member' });
      // The first attempts fail; the next are a few seconds away.
      await expect
        .poll(async () => (await undelivered()).map((item) => item.reason))
        .toEqual(['the mail server refused the message', 'the mail server refused the message']);
      // An hour back, while sending still fails: the next attempts are then an hour away, so only
      // "Retry now" sends them, however slowly the page loads.
      server.clock.advance(-HOUR);
    } finally {
      server.mailer.send = send;
    }

    const page = await pageAs(browser, server, admin, errors);
    await page.goto(`${server.url}/orgs/${org.body.id}`);
    const panel = page.getByRole('region', { name: 'Undelivered e-mail' });
    const row = (email: string) => panel.getByRole('row', { name: new RegExp(email.replaceAll('.', '\\.')) });
    await row('late@partner.test').getByText('the mail server refused the message').waitFor();
    await row('gone@partner.test').getByText('the mail server refused the message').waitFor();
    expect(await panel.textContent()).not.toContain('mx.internal');
    expect(server.mailer.sent.map((m) => m.to)).not.toContain('late@partner.test');

    // One of them leaves while the page shows it: "Retry now" on it says so, and the other stays.
    const gone = (await undelivered()).find((item) => item.email === 'gone@partner.test')!;
    expect((await admin.post(`/api/v1/orgs/${org.body.id}/undelivered/${gone.id}/retry`)).status).toBe(200);
    await expect.poll(async () => (await undelivered()).map((item) => item.email)).toEqual(['late@partner.test']);
    expect(server.mailer.sent.map((m) => m.to)).toContain('gone@partner.test');
    await row('gone@partner.test').getByRole('button', { name: 'Retry now' }).click();
    await panel.getByRole('status').getByText('The e-mail to gone@partner.test is no longer waiting to be sent.').waitFor();
    await expect.poll(() => row('gone@partner.test').count()).toBe(0);
    expect(await panel.getByRole('alert').count()).toBe(0);

    await row('late@partner.test').getByRole('button', { name: 'Retry now' }).click();
    await panel.getByRole('status').getByText('Sending to late@partner.test again.').waitFor();
    await server.ctx.delivery.drain();
    expect(server.mailer.sent.map((m) => m.to)).toContain('late@partner.test');
    expect(errors).toEqual([]);
  });
});
