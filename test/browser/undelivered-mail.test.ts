import { describe, expect, it } from 'vitest';
import { HOUR } from '../../src/clock.js';
import type { MailMessage } from '../../src/mail/mailer.js';
import { browserSuite, pageAs } from './browser.js';

describe('the web UI: undelivered e-mail on the organization page', () => {
  // A refused e-mail is tried again an hour later: until then only "Retry now" sends it.
  const suite = browserSuite({ mailRetryMs: [HOUR] });

  it('shows an admin the invitation e-mail that did not leave, why, and sends it on "Retry now"', { timeout: 60_000 }, async () => {
    const { server, browser, errors } = suite;
    const admin = await server.person('Ada', 'ada@undelivered.test');
    const org = await admin.post('/api/v1/orgs', { name: 'Bounce Co' });
    const undelivered = async () =>
      (await admin.get(`/api/v1/orgs/${org.body.id}/undelivered`)).body.items as { id: string; email: string; reason: string | null }[];
    // The mail server refuses these two addresses until told otherwise, and holds a message while `held` is pending.
    const refused = new Set(['late@partner.test', 'gone@partner.test']);
    let held: Promise<void> = Promise.resolve();
    const send = server.mailer.send.bind(server.mailer);
    server.mailer.send = async (message: MailMessage) => {
      if (refused.has(message.to)) throw Object.assign(new Error('550 mailbox unavailable at mx.internal:25'), { responseCode: 550 });
      await held;
      return send(message);
    };
    await admin.post(`/api/v1/orgs/${org.body.id}/invitations`, { emails: ['late@partner.test', 'gone@partner.test'], role: 'member' });
    await expect
      .poll(async () => (await undelivered()).map((item) => item.reason))
      .toEqual(['the mail server refused the message', 'the mail server refused the message']);
    refused.clear();

    const page = await pageAs(browser, server, admin, errors);
    await page.goto(`${server.url}/orgs/${org.body.id}`);
    const panel = page.getByRole('region', { name: 'Undelivered e-mail' });
    const row = (email: string) => panel.getByRole('row', { name: new RegExp(email.replaceAll('.', '\\.')) });
    await row('late@partner.test').getByText('the mail server refused the message').waitFor();
    await row('gone@partner.test').getByText('the mail server refused the message').waitFor();
    expect(await panel.textContent()).not.toContain('mx.internal');
    // Both are an hour from their next attempt: the page does not keep asking.
    let asked = 0;
    page.on('request', (request) => {
      if (request.url().endsWith('/undelivered')) asked += 1;
    });
    await page.waitForTimeout(4_500);
    expect(asked).toBe(0);
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

    // "Retry now": the row shows it being sent, and goes once it has left, without reloading the page.
    let release = () => {};
    held = new Promise<void>((resolve) => (release = resolve));
    await row('late@partner.test').getByRole('button', { name: 'Retry now' }).click();
    await panel.getByRole('status').getByText('Sending to late@partner.test again.').waitFor();
    await row('late@partner.test').getByText('being sent').waitFor();
    release();
    await expect.poll(() => row('late@partner.test').count()).toBe(0);
    expect(server.mailer.sent.map((m) => m.to)).toContain('late@partner.test');
    expect(errors).toEqual([]);
  });
});
