import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../helpers/client.js';
import { DATABASES } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { world } from '../helpers/world.js';
import { expectError } from './errors.js';

describe.each(DATABASES)('a dataset admin’s preview of a tier change (%s)', (db) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ db });
  });
  afterAll(async () => {
    await server.close();
  });

  /**
   * An external dataset of acme with a member reader (ann), a member who is a dataset admin
   * (dana), and two outsiders invited, one to read (pat), one as a dataset admin (partner).
   */
  async function cams() {
    const w = await world(server)
      .org('acme')
      .member('ann')
      .member('dana')
      .outsider('pat')
      .outsider('partner')
      .dataset('cams', { tier: 'external' })
      .grant('cams', 'dana', 'admin')
      .invite('cams', 'pat', 'read')
      .invite('cams', 'partner', 'admin')
      .build();
    return {
      admin: w.orgs.acme!.admin,
      ...(w.users as Record<'ann' | 'dana' | 'pat' | 'partner', Actor>),
      url: `/api/v1/datasets/${w.datasets.cams}`,
    };
  }

  it('answers a dataset admin who is not an org admin, changing nothing, while the change stays with org admins', async () => {
    const { admin, ann, dana, pat, partner, url } = await cams();
    expect((await admin.patch(url, { visibility: 'organization' })).status).toBe(200);

    const preview = await dana.post(`${url}/sharing/preview`, { visibility: 'external' });
    expect(preview.status).toBe(200);
    expect(preview.body).toEqual({
      gains: [
        { user: partner.user, from: null, to: 'admin' },
        { user: pat.user, from: null, to: 'read' },
      ],
      losses: [],
    });
    expect((await dana.get(url)).body.visibility).toBe('organization');
    expectError(await pat.get(url), 404, 'not_found');
    expectError(await dana.patch(url, { visibility: 'external' }), 403, 'forbidden');
    expectError(await ann.post(`${url}/sharing/preview`, { visibility: 'external' }), 403, 'forbidden');
  });

  it("refuses an outside dataset admin a tier change's preview, which names the organization's members", async () => {
    const { admin, ann, pat, partner, url } = await cams();

    for (const visibility of ['admins', 'organization', 'external']) {
      const seenByPartner = await partner.post(`${url}/sharing/preview`, { visibility });
      expectError(seenByPartner, 403, 'forbidden');
      expect(JSON.stringify(seenByPartner.body)).not.toContain(ann.id);
    }
    expect((await partner.get(url)).body.allowedActions).not.toContain('dataset.previewVisibility');
    // A grantee's removal concerns the dataset alone: the partner may preview it, seeing the grantee's address.
    const removal = await partner.post(`${url}/sharing/preview`, { removeUserId: pat.id });
    expect(removal).toMatchObject({ status: 200, body: { gains: [], losses: [{ user: pat.user, from: 'read', to: null }] } });
    const seenByAdmin = await admin.post(`${url}/sharing/preview`, { visibility: 'admins' });
    expect(seenByAdmin.body.losses.map((c: { user: unknown }) => c.user)).toEqual([ann.user, partner.user, pat.user]);
    expect((await admin.get(url)).body.allowedActions).toContain('dataset.previewVisibility');
  });
});
