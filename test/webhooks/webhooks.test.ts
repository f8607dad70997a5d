import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY, HOUR } from '../../src/clock.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { isRefusedAddress } from '../../src/webhooks/address.js';
import type { ResolvedAddress } from '../../src/webhooks/settings.js';
import type { Actor } from '../helpers/client.js';
import { DATABASES } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { documentedVerifier, WebhookReceiver } from '../helpers/webhook-receiver.js';
import { joinOrg, world } from '../helpers/world.js';

const verify = documentedVerifier();

function signatures(header: string): string[] {
  return header.split(',').filter((p) => p.startsWith('v1='));
}

describe.each(DATABASES)('signed webhooks of every access change (%s)', (db) => {
  let server: TestServer;
  let receiver: WebhookReceiver;
  let hook = 0;

  beforeAll(async () => {
    receiver = await new WebhookReceiver().start();
    // A local resolver stub: one name for the receiver, never the real DNS.
    const resolve = async (hostname: string): Promise<ResolvedAddress[]> => {
      if (hostname === 'receiver.example.test') return [{ address: '127.0.0.1', family: 4 }];
      throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
    };
    server = await startTestServer({ db, webhookAllowPrivate: true, webhooks: { resolve } });
  });
  afterAll(async () => {
    await server.close();
    await receiver.close();
  });

  /** An org with an admin, a member and a dataset, and a webhook of its own at a path of its own. */
  async function scene(events: string[] = ['*']) {
    const w = await world(server).org(`hooks-${++hook}`).member('mia').dataset('cams').build();
    const org = Object.values(w.orgs)[0]!;
    const path = `/hook/${hook}`;
    const created = await org.admin.post(`/api/v1/orgs/${org.id}/webhooks`, { url: `${receiver.url}${path}`, events });
    expect(created.status).toBe(201);
    return { w, org, admin: org.admin, path, webhook: created.body, datasetId: w.datasets.cams!, mia: w.users.mia! };
  }

  const nowSeconds = () => server.clock.now() / 1000;
  const deliveries = async (admin: Actor, id: string) => (await admin.get(`/api/v1/webhooks/${id}/deliveries`)).body.items as any[];

  /** Moves the injected clock and lets the worker look at once (no waiting for its slow poll). */
  function advance(ms: number) {
    server.clock.advance(ms);
    server.webhookDelivery.wake();
  }

  it('delivers a grant change as signed JSON the documented snippet verifies', async () => {
    const { admin, path, webhook, datasetId, mia, org } = await scene(['grant.set']);
    expect(webhook).toMatchObject({
      id: expect.stringMatching(/^whk_/),
      url: `${receiver.url}${path}`,
      events: ['grant.set'],
      enabled: true,
    });
    expect(webhook.secret).toMatch(/^whsec_.{40,}/);

    await admin.patch(`/api/v1/datasets/${datasetId}`, { description: 'not subscribed' });
    expect((await admin.put(`/api/v1/datasets/${datasetId}/sharing/users/${mia.id}`, { level: 'read' })).status).toBe(200);
    const [request] = await receiver.waitFor(path, 1);
    const headers = request!.headers;
    expect(headers['tessera-event']).toBe('grant.set');
    expect(headers['tessera-delivery']).toMatch(/^whd_/);
    expect(headers['content-type']).toBe('application/json');
    const signature = String(headers['tessera-signature']);
    expect(signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(verify(request!.body, signature, webhook.secret, nowSeconds())).toBe(true);
    expect(verify(request!.body, signature, 'whsec_wrong', nowSeconds())).toBe(false);
    expect(verify(`${request!.body} `, signature, webhook.secret, nowSeconds())).toBe(false);
    expect(verify(request!.body, signature, webhook.secret, nowSeconds() + 3600)).toBe(false);
    const event = JSON.parse(request!.body);
    expect(event).toMatchObject({
      id: expect.stringMatching(/^evt_/),
      type: 'grant.set',
      at: new Date(server.clock.now()).toISOString(),
      orgId: org.id,
      datasetId,
      actor: { id: admin.id, name: admin.user.name },
      subject: `user:${mia.id}`,
    });
    expect(event).toHaveProperty('before');
    expect(event).toHaveProperty('after');
    // The very event of the audit log.
    const audit = await admin.get(`/api/v1/orgs/${org.id}/audit?datasetId=${datasetId}`);
    expect(audit.body.items.map((e: { id: string }) => e.id)).toContain(event.id);

    await server.webhookDelivery.drain();
    const log = await deliveries(admin, webhook.id);
    expect(log).toEqual([
      {
        id: headers['tessera-delivery'],
        event: 'grant.set',
        status: 'delivered',
        attempts: 1,
        responseStatus: 200,
        error: null,
        nextAttemptAt: null,
        createdAt: expect.any(String),
      },
    ]);
    // The secret was shown once: neither the list nor the log carry it.
    const list = await admin.get(`/api/v1/orgs/${org.id}/webhooks`);
    expect(list.status).toBe(200);
    expect(list.body.items).toEqual([
      { id: webhook.id, url: webhook.url, events: ['grant.set'], enabled: true, disabledAt: null, createdAt: webhook.createdAt },
    ]);
    expect(JSON.stringify(list.body)).not.toContain(webhook.secret);
    expect(server.logLines.join('')).not.toContain(webhook.secret);
  });

  it('retries a failed delivery with the same id, and records attempts and the last status', async () => {
    const { admin, path, webhook, datasetId, mia } = await scene(['grant.revoked', 'grant.set']);
    receiver.script(path, { status: 500 });
    await admin.put(`/api/v1/datasets/${datasetId}/sharing/users/${mia.id}`, { level: 'annotate' });
    const [first] = await receiver.waitFor(path, 1);
    await expect
      .poll(async () => (await deliveries(admin, webhook.id))[0])
      .toMatchObject({ status: 'pending', attempts: 1, responseStatus: 500 });
    // Waiting: the log says when it is tried again, after the failed attempt and within the hour.
    const due = Date.parse((await deliveries(admin, webhook.id))[0].nextAttemptAt);
    expect(due).toBeGreaterThan(server.clock.now());
    expect(due).toBeLessThanOrEqual(server.clock.now() + HOUR);

    advance(HOUR);
    const [, second] = await receiver.waitFor(path, 2);
    expect(second!.headers['tessera-delivery']).toBe(first!.headers['tessera-delivery']);
    expect(second!.body).toBe(first!.body);
    expect(verify(second!.body, String(second!.headers['tessera-signature']), webhook.secret, nowSeconds())).toBe(true);
    await expect
      .poll(async () => (await deliveries(admin, webhook.id))[0])
      .toMatchObject({ status: 'delivered', attempts: 2, responseStatus: 200, error: null });
  });

  it('does not follow redirects: a 3xx answer is a failed attempt', async () => {
    const { admin, path, webhook } = await scene(['grant.set']);
    receiver.answerAlways(path, { status: 302, headers: { location: `${path}/elsewhere` } });
    expect((await admin.post(`/api/v1/webhooks/${webhook.id}/ping`)).status).toBe(202);
    await receiver.waitFor(path, 1);
    await expect
      .poll(async () => (await deliveries(admin, webhook.id))[0])
      .toMatchObject({ event: 'ping', status: 'pending', attempts: 1, responseStatus: 302 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(receiver.on(`${path}/elsewhere`)).toEqual([]);
    expect((await admin.delete(`/api/v1/webhooks/${webhook.id}`)).status).toBe(204);
    expect((await admin.get(`/api/v1/webhooks/${webhook.id}/deliveries`)).status).toBe(404);
  });

  it('pings on request', async () => {
    const { admin, path, webhook, org } = await scene(['grant.set']);
    const ping = await admin.post(`/api/v1/webhooks/${webhook.id}/ping`);
    expect(ping.status).toBe(202);
    const [request] = await receiver.waitFor(path, 1);
    expect(request!.headers['tessera-event']).toBe('ping');
    expect(request!.headers['tessera-delivery']).toBe(ping.body.deliveryId);
    expect(JSON.parse(request!.body)).toMatchObject({ type: 'ping', orgId: org.id, subject: `webhook:${webhook.id}` });
    expect(verify(request!.body, String(request!.headers['tessera-signature']), webhook.secret, nowSeconds())).toBe(true);
  });

  it('connects to a host name through the resolver it was given', async () => {
    const { admin, org } = await scene(['grant.set']);
    const url = `${receiver.url.replace('127.0.0.1', 'receiver.example.test')}/named-${hook}`;
    const created = await admin.post(`/api/v1/orgs/${org.id}/webhooks`, { url, events: ['grant.set'] });
    expect(created.status).toBe(201);
    await admin.post(`/api/v1/webhooks/${created.body.id}/ping`);
    const [request] = await receiver.waitFor(`/named-${hook}`, 1);
    expect(request!.headers.host).toBe(new URL(url).host);
    expect(verify(request!.body, String(request!.headers['tessera-signature']), created.body.secret, nowSeconds())).toBe(true);
  });

  it('signs with both secrets for a day after a rotation, then with the new one only', async () => {
    const { admin, path, webhook } = await scene(['grant.set']);
    const rotated = await admin.post(`/api/v1/webhooks/${webhook.id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    const secret = rotated.body.secret as string;
    expect(secret).not.toBe(webhook.secret);

    await admin.post(`/api/v1/webhooks/${webhook.id}/ping`);
    const [during] = await receiver.waitFor(path, 1);
    const header = String(during!.headers['tessera-signature']);
    expect(signatures(header)).toHaveLength(2);
    // The new signature first, then the old one; each verifies with its own secret.
    const t = header.split(',')[0]!;
    expect(verify(during!.body, `${t},${signatures(header)[0]}`, secret, nowSeconds())).toBe(true);
    expect(verify(during!.body, `${t},${signatures(header)[1]}`, webhook.secret, nowSeconds())).toBe(true);

    server.clock.advance(DAY + HOUR);
    await admin.post(`/api/v1/webhooks/${webhook.id}/ping`);
    const [, after] = await receiver.waitFor(path, 2);
    const afterHeader = String(after!.headers['tessera-signature']);
    expect(signatures(afterHeader)).toHaveLength(1);
    expect(verify(after!.body, afterHeader, secret, nowSeconds())).toBe(true);
    expect(verify(after!.body, afterHeader, webhook.secret, nowSeconds())).toBe(false);
  });

  it('disables a webhook failing for 24 hours and tells the organization’s admins', async () => {
    const { admin, path, webhook, datasetId, mia, org } = await scene(['grant.set']);
    receiver.answerAlways(path, { status: 503 });
    await admin.put(`/api/v1/datasets/${datasetId}/sharing/users/${mia.id}`, { level: 'read' });
    await receiver.waitFor(path, 1);
    await expect.poll(async () => (await deliveries(admin, webhook.id))[0]).toMatchObject({ attempts: 1, responseStatus: 503 });

    advance(12 * HOUR);
    await receiver.waitFor(path, 2);
    // The second attempt recorded (not merely under way) before the clock moves on.
    await expect
      .poll(async () =>
        server.ctx.db.selectFrom('outbox').select(['status', 'attempts']).where('recipient', '=', webhook.id).executeTakeFirst(),
      )
      .toEqual({ status: 'queued', attempts: 2 });
    expect((await admin.get(`/api/v1/orgs/${org.id}/webhooks`)).body.items[0].enabled).toBe(true);

    advance(12 * HOUR + 1);
    await receiver.waitFor(path, 3);
    await expect
      .poll(async () => (await admin.get(`/api/v1/orgs/${org.id}/webhooks`)).body.items[0])
      .toMatchObject({
        enabled: false,
        disabledAt: new Date(server.clock.now()).toISOString(),
      });
    expect((await deliveries(admin, webhook.id))[0]).toMatchObject({
      status: 'failed',
      attempts: 3,
      responseStatus: 503,
      nextAttemptAt: null,
    });

    // No more deliveries to it.
    await admin.put(`/api/v1/datasets/${datasetId}/sharing/users/${mia.id}`, { level: 'write' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(receiver.on(path)).toHaveLength(3);

    await server.ctx.delivery.drain();
    const notice = server.mailer!.sent.find((m) => m.to === admin.user.email && /webhook/i.test(m.subject));
    expect(notice?.text).toContain(webhook.url);
    expect(server.mailer!.sent.filter((m) => m.to === mia.user.email && /webhook/i.test(m.subject))).toEqual([]);

    const csv = await admin.get(`/api/v1/orgs/${org.id}/audit.csv`);
    expect(csv.status).toBe(200);
    expect(String(csv.body)).toMatch(/webhook\.created/);
    expect(String(csv.body)).toMatch(/webhook\.disabled/);
  });

  it('lets org admins only manage webhooks', async () => {
    const { admin, webhook, org, mia } = await scene();
    const other = await world(server).org(`other-${hook}`).build();
    const otherAdmin = Object.values(other.orgs)[0]!.admin;
    expect((await mia.post(`/api/v1/orgs/${org.id}/webhooks`, { url: `${receiver.url}/x`, events: ['*'] })).status).toBe(403);
    expect((await mia.get(`/api/v1/orgs/${org.id}/webhooks`)).status).toBe(403);
    expect((await mia.post(`/api/v1/webhooks/${webhook.id}/rotate-secret`)).status).toBe(403);
    expect((await otherAdmin.get(`/api/v1/webhooks/${webhook.id}/deliveries`)).status).toBe(404);
    expect((await otherAdmin.delete(`/api/v1/webhooks/${webhook.id}`)).status).toBe(404);
    expect((await admin.post(`/api/v1/orgs/${org.id}/webhooks`, { url: `${receiver.url}/x`, events: [] })).status).toBe(400);
    expect((await admin.post(`/api/v1/orgs/${org.id}/webhooks`, { url: `${receiver.url}/x`, events: ['Not An Event'] })).status).toBe(400);
    // A second admin is told too, and may manage it.
    const second = await world(server).outsider('second-admin').build();
    await joinOrg(server, admin, org.id, second.users['second-admin']!, 'admin');
    expect((await second.users['second-admin']!.get(`/api/v1/webhooks/${webhook.id}/deliveries`)).status).toBe(200);
  });
});

describe('WEBHOOK_ALLOW_PRIVATE', () => {
  it('is off unless set to true, and refuses anything but true or false', () => {
    const base = { DATA_DIR: '/tmp/tessera-config-test' };
    expect(loadConfig(base).webhookAllowPrivate).toBe(false);
    expect(loadConfig({ ...base, WEBHOOK_ALLOW_PRIVATE: 'true' }).webhookAllowPrivate).toBe(true);
    expect(loadConfig({ ...base, WEBHOOK_ALLOW_PRIVATE: 'false' }).webhookAllowPrivate).toBe(false);
    expect(() => loadConfig({ ...base, WEBHOOK_ALLOW_PRIVATE: 'yes' })).toThrow(ConfigError);
  });
});

describe.each(DATABASES)('webhook URLs never lead inside (%s)', (db) => {
  let server: TestServer;
  let receiver: WebhookReceiver;
  let admin: Actor;
  let orgId: string;
  // A local resolver stub, never the real DNS.
  const names: Record<string, string> = {
    'loopback.example.test': '127.0.0.1',
    'metadata.example.test': '169.254.169.254',
    'public.example.test': '93.184.216.34',
  };
  const resolve = async (hostname: string): Promise<ResolvedAddress[]> => {
    const address = names[hostname];
    if (!address) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
    return [{ address, family: address.includes(':') ? 6 : 4 }];
  };

  beforeAll(async () => {
    receiver = await new WebhookReceiver().start();
    server = await startTestServer({ db, webhooks: { resolve, timeoutMs: 2_000 } });
    const w = await world(server).org('fortress').build();
    admin = w.orgs.fortress!.admin;
    orgId = w.orgs.fortress!.id;
  });
  afterAll(async () => {
    await server.close();
    await receiver.close();
  });

  it.each([
    'https://127.0.0.1/hook',
    'https://10.0.0.1/hook',
    'https://169.254.169.254/latest/meta-data',
    'https://[::1]/hook',
    'https://[::ffff:127.0.0.1]/hook',
    'https://loopback.example.test/hook',
    'https://metadata.example.test/hook',
    'https://nowhere.example.test/hook',
    'http://public.example.test/hook',
    'ftp://public.example.test/hook',
  ])('refuses %s', async (url) => {
    const res = await admin.post(`/api/v1/orgs/${orgId}/webhooks`, { url, events: ['*'] });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('webhook_url_refused');
    expect(JSON.stringify(res.body)).not.toMatch(/127\.0\.0\.1|169\.254/);
  });

  it('refuses the receiver on loopback, even over http', async () => {
    const res = await admin.post(`/api/v1/orgs/${orgId}/webhooks`, { url: `${receiver.url}/hook`, events: ['*'] });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('webhook_url_refused');
  });

  it('checks the address again at connect time, so a name re-pointed inside (DNS rebinding) gets nothing', async () => {
    names['rebind.example.test'] = '93.184.216.34';
    const created = await admin.post(`/api/v1/orgs/${orgId}/webhooks`, { url: 'https://rebind.example.test/hook', events: ['*'] });
    expect(created.status).toBe(201);
    names['rebind.example.test'] = '127.0.0.1';
    await admin.post(`/api/v1/webhooks/${created.body.id}/ping`);
    await expect
      .poll(async () => (await admin.get(`/api/v1/webhooks/${created.body.id}/deliveries`)).body.items.find((d: any) => d.event === 'ping'))
      .toMatchObject({ status: 'pending', attempts: 1, responseStatus: null, error: 'the address is not allowed' });
    expect(receiver.received).toEqual([]);
  });

  it('judges addresses by their range', () => {
    for (const address of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '100.64.0.1',
      '169.254.169.254',
      '0.0.0.0',
      '224.0.0.1',
      '::1',
      '::',
      'fd00::1',
      'fe80::1',
      'ff02::1',
      '::ffff:10.0.0.1',
      '::ffff:7f00:1',
      '::7f00:1',
      '64:ff9b::a9fe:a9fe',
      'fe80::1%eth0',
      'not an address',
    ])
      expect(isRefusedAddress(address), address).toBe(true);
    for (const address of ['93.184.216.34', '8.8.8.8', '2606:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808'])
      expect(isRefusedAddress(address), address).toBe(false);
  });
});
