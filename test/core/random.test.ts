import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actingAs } from '../../src/access/scope.js';
import { createDataset } from '../../src/datasets/datasets.js';
import { inviteToOrg } from '../../src/invitations/send.js';
import { createOrg } from '../../src/orgs/orgs.js';
import { hashSecret, Random, type RandomSource } from '../../src/secrets.js';
import { DATABASES } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { mailedToken, world } from '../helpers/world.js';

/** A source that repeats one byte: every id and secret it yields is known in advance. */
const constant = (byte: number): RandomSource => ({ bytes: (size) => Buffer.alloc(size, byte) });

describe('the random source', () => {
  it('makes ids and secrets from the injected source only', () => {
    const random = new Random(constant(1));
    expect(random.id('ds')).toBe(`ds_${Buffer.alloc(12, 1).toString('base64url')}`);
    expect(random.secret()).toBe(Buffer.alloc(32, 1).toString('base64url'));
    expect(new Random(constant(1)).id('ds')).toBe(random.id('ds'));
  });

  it('orders the sortable ids of one instance by time, then by creation, on a counter of its own', () => {
    const first = new Random(constant(9));
    const ids = [first.sortableId('item', 5), first.sortableId('item', 5), first.sortableId('item', 4)];
    expect([...ids].sort()).toEqual([ids[2], ids[0], ids[1]]);
    // Another instance keeps its own counter: it starts again, whatever the first one did.
    const second = new Random(constant(9));
    expect(second.sortableId('item', 5)).toBe(ids[0]);
  });
});

describe.each(DATABASES)('the random source on the context (%s)', (db) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ db });
  });
  afterAll(async () => {
    await server.close();
  });

  it('gives a use case its ids, so a test can know them', async () => {
    const w = await world(server).org('acme').build();
    const admin = w.orgs.acme!.admin;
    const ctx = { ...server.ctx, random: new Random(constant(7)) };
    const { dataset } = await createDataset(ctx, actingAs(admin.id), w.orgs.acme!.id, { name: 'known' });
    expect(dataset.id).toBe(`ds_${Buffer.alloc(12, 7).toString('base64url')}`);
    expect((await admin.get(`/api/v1/datasets/${dataset.id}`)).body.name).toBe('known');
  });

  it('makes an organization id, its audit events and an invitation secret from the injected source', async () => {
    const w = await world(server).org('acme').build();
    const admin = w.orgs.acme!.admin;
    const ctx = { ...server.ctx, random: new Random(constant(5)) };
    const org = await createOrg(ctx, actingAs(admin.id), 'Known Co');
    expect(org.id).toBe(`org_${Buffer.alloc(12, 5).toString('base64url')}`);

    const [invitation] = await inviteToOrg(ctx, actingAs(admin.id), org.id, { emails: ['known@example.com'], role: 'member' });
    const secret = Buffer.alloc(32, 5).toString('base64url');
    const stored = await server.ctx.db
      .selectFrom('invitations')
      .select('token_hash')
      .where('id', '=', invitation!.id)
      .executeTakeFirstOrThrow();
    expect(stored.token_hash).toBe(hashSecret(secret));
    const mail = await server.ctx.db.selectFrom('outbox').select('id').where('recipient', '=', 'known@example.com').execute();
    expect(mail.map((m) => m.id)).toEqual([`msg_${Buffer.alloc(12, 5).toString('base64url')}`]);
    // The mail carries it: read as delivered (the outbox forgets a payload once it is sent, which may already be).
    expect(await mailedToken(server, 'known@example.com')).toBe(secret);

    // Sortable event ids end in the source's bytes, after the time and the instance's counter.
    const events = await server.ctx.db.selectFrom('audit_events').select(['id', 'action']).where('org_id', '=', org.id).execute();
    expect(events.map((e) => e.action).sort()).toEqual(['invitation.created', 'member.added']);
    for (const event of events) expect(event.id).toMatch(new RegExp(`^evt_[0-9a-z]{13}${Buffer.alloc(5, 5).toString('hex')}$`));
  });
});
