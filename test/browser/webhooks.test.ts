import { describe, expect, it } from 'vitest';
import { documentedVerifier, WebhookReceiver } from '../helpers/webhook-receiver.js';
import { browserSuite, pageAs } from './browser.js';
import { expectAccessible } from './page-checks.js';

describe('the web UI: webhooks on the organization page', () => {
  // A refused delivery is tried again 8 s later: the open log, looked at every 3 s, shows it retrying first.
  const suite = browserSuite({ webhookRetryMs: [8_000] });

  it('adds a webhook, shows its secret once, pings it, lists its deliveries and deletes it', { timeout: 90_000 }, async () => {
    const { server, browser, errors } = suite;
    const receiver = await new WebhookReceiver().start();
    try {
      const admin = await server.person('Ada', 'ada@hooks-ui.test');
      const org = await admin.post('/api/v1/orgs', { name: 'Hook Co' });
      const page = await pageAs(browser, server, admin, errors);
      await page.goto(`${server.url}/orgs/${org.body.id}`);
      const panel = page.getByRole('region', { name: 'Webhooks' });
      await panel.getByText('No webhooks yet.').waitFor();

      const url = `${receiver.url}/ui`;
      await panel.getByLabel('Endpoint URL').fill(url);
      await panel.getByLabel('Only these:').check();
      await panel.getByRole('checkbox', { name: 'grant.revoked', exact: true }).uncheck();
      await panel.getByRole('button', { name: 'Add webhook' }).click();
      const secretField = panel.getByLabel('Signing secret');
      await secretField.waitFor();
      const secret = await secretField.inputValue();
      await expectAccessible(page, 'the webhooks panel showing a new secret');
      expect(secret).toMatch(/^whsec_/);
      await panel.getByRole('button', { name: 'I have copied it' }).click();
      await expect.poll(async () => panel.getByLabel('Signing secret').count()).toBe(0);
      const row = panel.getByRole('listitem').filter({ hasText: url });
      await row.getByText('grant.set').waitFor();

      // The receiver holds its answer to the first attempt, then refuses it: the open log shows it
      // being sent, retrying, then, looked at again, delivered.
      let answer = () => {};
      receiver.script('/ui', { status: 503, after: new Promise<void>((resolve) => (answer = resolve)) });
      await row.getByRole('button', { name: `Ping ${url}` }).click();
      const [ping] = await receiver.waitFor('/ui', 1);
      expect(ping!.headers['tessera-event']).toBe('ping');
      expect(documentedVerifier()(ping!.body, String(ping!.headers['tessera-signature']), secret)).toBe(true);
      const deliveries = row.getByRole('table', { name: 'Deliveries' });
      await deliveries.getByText('being sent').waitFor();
      answer();
      // When it is tried again, in the page's zone.
      await deliveries.getByText(/^retrying: answered 503, next attempt \w{3} \d{1,2}, \d{4}, \d{2}:\d{2} UTC$/).waitFor();
      await deliveries.getByText('delivered (200)').waitFor();
      expect(await deliveries.getByRole('row').count()).toBe(2);
      expect(await page.content()).not.toContain(secret);
      await expectAccessible(page, 'the webhooks panel with its deliveries');

      await row.getByRole('button', { name: `Delete webhook ${url}` }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Delete webhook' }).click();
      await panel.getByText('No webhooks yet.').waitFor();
      expect(errors).toEqual([]);
    } finally {
      await receiver.close();
    }
  });
});
