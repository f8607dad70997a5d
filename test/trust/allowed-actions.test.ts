import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATASET_ACTIONS, type DatasetAction, ORG_ACTIONS, type OrgAction } from '../../src/access/policy.js';
import { Actor } from '../helpers/client.js';
import { DATABASES } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { upload } from '../helpers/upload.js';
import { acceptDatasetInvitation, type World, world } from '../helpers/world.js';

/**
 * The `allowedActions` of a dataset or an organization say exactly what its routes then allow:
 * each listed action is accepted, each one left out refused (403 or 404), for every kind of caller.
 */

interface Scene {
  w: World;
  orgId: string;
  datasetId: string;
  layerId: string;
  itemId: string;
  admin: Actor;
  bystander: Actor;
}

type Probe = (caller: Actor, s: Scene) => Promise<{ status: number }>;

let counter = 0;
const unique = (what: string) => `${what} ${++counter}`;

const DATASET_PROBES: Record<DatasetAction, Probe> = {
  'dataset.read': (c, s) => c.get(`/api/v1/datasets/${s.datasetId}`),
  'dataset.annotate': (c, s) => c.post(`/api/v1/layers/${s.layerId}/annotations`, { itemId: s.itemId, label: 'car' }),
  'dataset.edit': (c, s) => c.patch(`/api/v1/datasets/${s.datasetId}`, { description: unique('edited') }),
  'dataset.upload': (c, s) => upload(c, s.datasetId, [{ name: 'probe.txt', content: Buffer.from(unique('bytes')) }]),
  'dataset.createLayer': (c, s) => c.post(`/api/v1/datasets/${s.datasetId}/layers`, { name: unique('layer') }),
  'dataset.process': (c, s) => c.post(`/api/v1/datasets/${s.datasetId}/process`, { pipeline: 'dedupe' }),
  'dataset.share': (c, s) => c.get(`/api/v1/datasets/${s.datasetId}/sharing`),
  'dataset.setVisibility': async (c, s) => {
    const current = (await s.admin.get(`/api/v1/datasets/${s.datasetId}`)).body.visibility;
    return c.patch(`/api/v1/datasets/${s.datasetId}`, { visibility: current });
  },
  'dataset.previewVisibility': (c, s) => c.post(`/api/v1/datasets/${s.datasetId}/sharing/preview`, { visibility: 'admins' }),
  'dataset.readAudit': (c, s) => c.get(`/api/v1/orgs/${s.orgId}/audit?datasetId=${s.datasetId}`),
  'dataset.explainAccess': (c, s) => c.get(`/api/v1/datasets/${s.datasetId}/access/${s.bystander.id}`),
  'dataset.delete': (c, s) => c.delete(`/api/v1/datasets/${s.datasetId}`),
};

const ORG_PROBES: Record<OrgAction, Probe> = {
  'org.read': (c, s) => c.get(`/api/v1/orgs/${s.orgId}`),
  'org.createDataset': (c, s) => c.post(`/api/v1/orgs/${s.orgId}/datasets`, { name: unique('private') }),
  'org.createSharedDataset': (c, s) => c.post(`/api/v1/orgs/${s.orgId}/datasets`, { name: unique('shared'), visibility: 'organization' }),
  'org.manageProjects': (c, s) => c.post(`/api/v1/orgs/${s.orgId}/projects`, { name: unique('project') }),
  'org.manageMembers': (c, s) => c.patch(`/api/v1/orgs/${s.orgId}/members/${s.bystander.id}`, { processDatasets: false }),
  'org.removeMember': (c, s) => c.get(`/api/v1/orgs/${s.orgId}/members/${s.bystander.id}/removal-preview`),
  'org.manageInvitations': (c, s) => c.get(`/api/v1/orgs/${s.orgId}/invitations`),
  'org.manageTeams': (c, s) => c.post(`/api/v1/orgs/${s.orgId}/teams`, { name: unique('team') }),
  'org.readAudit': (c, s) => c.get(`/api/v1/orgs/${s.orgId}/audit`),
  'org.exportAudit': (c, s) => c.get(`/api/v1/orgs/${s.orgId}/audit.csv`),
  'org.reviewAccess': (c, s) => c.get(`/api/v1/orgs/${s.orgId}/access-review`),
  'org.manageWebhooks': (c, s) => c.get(`/api/v1/orgs/${s.orgId}/webhooks`),
  'org.manageProvisioning': (c, s) => c.get(`/api/v1/orgs/${s.orgId}/scim-tokens`),
};

type Caller = (server: TestServer, s: Scene) => Promise<Actor>;

async function tokenOf(server: TestServer, actor: Actor, scope: 'read' | 'write' | 'admin'): Promise<Actor> {
  const created = await actor.post('/api/v1/me/tokens', { name: unique('probe'), scope });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return new Actor(server.app, { bearer: created.body.token }, actor.user);
}

const CALLERS: Record<string, { tier: 'external' | 'organization' | 'admins'; caller: Caller }> = {
  'a member reading through the tier': { tier: 'organization', caller: async (_, s) => s.w.users.ann! },
  'an annotator': {
    tier: 'admins',
    caller: async (_, s) => {
      await s.admin.put(`/api/v1/datasets/${s.datasetId}/sharing/users/${s.w.users.ann!.id}`, { level: 'annotate' });
      return s.w.users.ann!;
    },
  },
  'a writer who may process': {
    tier: 'admins',
    caller: async (_, s) => {
      await s.admin.put(`/api/v1/datasets/${s.datasetId}/sharing/users/${s.w.users.ann!.id}`, { level: 'write' });
      await s.admin.patch(`/api/v1/orgs/${s.orgId}/members/${s.w.users.ann!.id}`, { processDatasets: true });
      return s.w.users.ann!;
    },
  },
  'a dataset admin who is a plain member': {
    tier: 'admins',
    caller: async (_, s) => {
      await s.admin.put(`/api/v1/datasets/${s.datasetId}/sharing/users/${s.w.users.ann!.id}`, { level: 'admin' });
      return s.w.users.ann!;
    },
  },
  'an org admin': { tier: 'admins', caller: async (_, s) => s.admin },
  "an org admin's read-scoped token": { tier: 'admins', caller: (server, s) => tokenOf(server, s.admin, 'read') },
  "an org admin's write-scoped token": { tier: 'admins', caller: (server, s) => tokenOf(server, s.admin, 'write') },
  'an external collaborator with write': {
    tier: 'external',
    caller: async (server, s) => {
      // An outsider comes in by invitation.
      await acceptDatasetInvitation(server, s.admin, s.datasetId, s.w.users.eve!, 'write');
      return s.w.users.eve!;
    },
  },
};

describe.each(DATABASES)('allowedActions match what the server allows (%s)', (db) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ db });
  });
  afterAll(async () => {
    await server.close();
  });

  async function scene(tier: 'external' | 'organization' | 'admins'): Promise<Scene> {
    const w = await world(server).org('acme').member('ann').member('bob').outsider('eve').dataset('cams', { tier }).build();
    const admin = w.orgs.acme!.admin;
    const datasetId = w.datasets.cams!;
    const uploaded = await upload(admin, datasetId, [{ name: 'a.txt', content: Buffer.from(unique('item')) }]);
    expect(uploaded.status, JSON.stringify(uploaded.body)).toBe(201);
    const layer = await admin.post(`/api/v1/datasets/${datasetId}/layers`, { name: 'boxes' });
    return {
      w,
      orgId: w.orgs.acme!.id,
      datasetId,
      layerId: layer.body.id,
      itemId: uploaded.body.items[0].id,
      admin,
      bystander: w.users.bob!,
    };
  }

  it.each(Object.keys(CALLERS))('for %s', async (name) => {
    const { tier, caller: callerOf } = CALLERS[name]!;
    const s = await scene(tier);
    const caller = await callerOf(server, s);
    const mismatches: string[] = [];

    const org = await caller.get(`/api/v1/orgs/${s.orgId}`);
    const orgAllowed: string[] = org.status === 200 ? org.body.allowedActions : [];
    for (const action of ORG_ACTIONS) {
      const { status } = await ORG_PROBES[action](caller, s);
      const accepted = status < 300;
      if (accepted !== orgAllowed.includes(action) || (!accepted && status !== 403 && status !== 404)) {
        mismatches.push(`${action}: listed ${orgAllowed.includes(action)}, answered ${status}`);
      }
    }

    const dataset = await caller.get(`/api/v1/datasets/${s.datasetId}`);
    expect(dataset.status).toBe(200);
    const allowed: string[] = dataset.body.allowedActions;
    const inventory = await caller.get(`/api/v1/datasets?orgId=${s.orgId}`);
    const listed = inventory.body.items?.find((i: { id: string }) => i.id === s.datasetId);
    if (listed) expect(listed.allowedActions, 'the inventory agrees with the dataset view').toEqual(allowed);
    // Deleting last: nothing can be probed afterwards.
    const order = [...DATASET_ACTIONS.filter((a) => a !== 'dataset.delete'), 'dataset.delete' as const];
    expect(order.length).toBe(DATASET_ACTIONS.length);
    for (const action of order) {
      const { status } = await DATASET_PROBES[action](caller, s);
      const accepted = status < 300;
      if (accepted !== allowed.includes(action) || (!accepted && status !== 403 && status !== 404)) {
        mismatches.push(`${action}: listed ${allowed.includes(action)}, answered ${status}`);
      }
    }
    expect(mismatches, `${name} may ${allowed.join(', ')}`).toEqual([]);
  });
});
