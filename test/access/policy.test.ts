import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LEVELS, type Level, type OrgRole, rankOf, VISIBILITIES, type Visibility } from '../../src/access/levels.js';
import {
  ACTIONS,
  actingLevel,
  allowedDatasetActions,
  allowedOrgActions,
  can,
  DATASET_ACTIONS,
  type DatasetFacts,
  ORG_ACTIONS,
  type OrgFacts,
  POLICY,
  refusal,
  tierAdmitsDirectGrant,
} from '../../src/access/policy.js';
import { TOKEN_SCOPES, type TokenScope } from '../../src/access/scope.js';
import { DomainError } from '../../src/errors.js';

/** The refusal as `kind:code`, or null when allowed. */
function answer(error: DomainError | null): string | null {
  return error === null ? null : `${error.kind}:${error.code}`;
}

const dataset = (facts: Partial<DatasetFacts>): DatasetFacts => ({
  level: 'read',
  scope: null,
  orgRole: null,
  processDatasets: false,
  visibility: 'admins',
  ...facts,
});

const org = (facts: Partial<OrgFacts>): OrgFacts => ({ role: 'member', scope: null, processDatasets: false, self: false, ...facts });

const level = fc.constantFrom<Level | null>(null, ...LEVELS);
const scope = fc.constantFrom<TokenScope | null>(null, ...TOKEN_SCOPES);
const role = fc.constantFrom<OrgRole | null>(null, 'member', 'admin');
const tier = fc.constantFrom<Visibility>(...VISIBILITIES);
const datasetFacts = fc.record({ level, scope, orgRole: role, processDatasets: fc.boolean(), visibility: tier });
const orgFacts = fc.record({ role, scope, processDatasets: fc.boolean(), self: fc.boolean() });

describe('the policy table', () => {
  it('names every action the API lists, each on one kind of resource', () => {
    for (const action of [
      'dataset.read',
      'dataset.annotate',
      'dataset.edit',
      'dataset.upload',
      'dataset.createLayer',
      'dataset.process',
      'dataset.share',
      'dataset.setVisibility',
      'dataset.delete',
      'org.manageMembers',
      'org.manageTeams',
      'org.readAudit',
      'job.read',
      'job.cancel',
    ]) {
      expect(ACTIONS).toContain(action);
    }
    for (const action of ACTIONS) expect(POLICY[action].on).toBe(action.split('.')[0]);
    expect([...DATASET_ACTIONS, ...ORG_ACTIONS].length).toBe(ACTIONS.length - 2);
  });

  it('gives each dataset action its level: below it 403 naming the level, with no level at all 404', () => {
    const least: Record<string, Level> = {
      'dataset.read': 'read',
      'dataset.annotate': 'annotate',
      'dataset.edit': 'write',
      'dataset.upload': 'write',
      'dataset.createLayer': 'write',
      'dataset.process': 'write',
      'dataset.share': 'admin',
      'dataset.delete': 'admin',
      'dataset.readAudit': 'admin',
    };
    for (const [action, minimum] of Object.entries(least) as [keyof typeof least & (typeof DATASET_ACTIONS)[number], Level][]) {
      for (const have of LEVELS) {
        const facts = dataset({ level: have, processDatasets: true });
        const expected = rankOf(have) >= rankOf(minimum) ? null : 'forbidden:forbidden';
        expect(answer(refusal(action, facts)), `${action} at ${have}`).toBe(expected);
      }
      expect(answer(refusal(action, dataset({ level: null })))).toBe('not_found:not_found');
    }
    expect(refusal('dataset.edit', dataset({ level: 'annotate' }))?.message).toBe(
      'This needs write access to the dataset; you have annotate.',
    );
  });

  it('caps the level by the token scope and says so when only the scope stands in the way', () => {
    expect(actingLevel('admin', 'write')).toBe('write');
    expect(actingLevel('read', 'admin')).toBe('read');
    expect(actingLevel(null, 'admin')).toBe(null);
    expect(answer(refusal('dataset.edit', dataset({ level: 'admin', scope: 'read' })))).toBe('forbidden:token_scope');
    expect(answer(refusal('dataset.share', dataset({ level: 'admin', scope: 'write' })))).toBe('forbidden:token_scope');
    expect(answer(refusal('dataset.share', dataset({ level: 'admin', scope: 'admin' })))).toBe(null);
    // Not the scope: the user's own level is too low as well.
    expect(answer(refusal('dataset.share', dataset({ level: 'write', scope: 'write' })))).toBe('forbidden:forbidden');
  });

  it('lets only org admins with their full level change a tier, whatever their level on the dataset', () => {
    const refused = refusal('dataset.setVisibility', dataset({ level: 'admin', orgRole: 'member' }));
    expect(refused?.message).toBe('Only organization admins change who a dataset is shared with.');
    expect(can('dataset.setVisibility', dataset({ level: 'admin', orgRole: 'admin' }))).toBe(true);
    expect(answer(refusal('dataset.setVisibility', dataset({ level: 'admin', orgRole: 'admin', scope: 'write' })))).toBe(
      'forbidden:token_scope',
    );
    expect(answer(refusal('dataset.setVisibility', dataset({ level: null, orgRole: 'admin' })))).toBe('not_found:not_found');
  });

  it('needs the process-datasets capability besides write to process', () => {
    expect(refusal('dataset.process', dataset({ level: 'admin', orgRole: 'member' }))?.message).toMatch(/process-datasets permission/);
    expect(can('dataset.process', dataset({ level: 'write', orgRole: 'member', processDatasets: true }))).toBe(true);
    expect(answer(refusal('dataset.process', dataset({ level: 'read', processDatasets: true })))).toBe('forbidden:forbidden');
  });

  it('lets only dataset admins explain someone else’s access, in its own words', () => {
    expect(refusal('dataset.explainAccess', dataset({ level: 'write' }))?.message).toBe(
      'Only dataset admins can see why someone else has access.',
    );
    expect(can('dataset.explainAccess', dataset({ level: 'admin' }))).toBe(true);
  });

  it('hides an organization from non-members and keeps administration to admins with their full level', () => {
    for (const action of ORG_ACTIONS) expect(answer(refusal(action, org({ role: null })))).toBe('not_found:not_found');
    for (const action of ['org.read', 'org.createDataset', 'org.manageProjects'] as const) expect(can(action, org({}))).toBe(true);
    for (const action of [
      'org.createSharedDataset',
      'org.manageMembers',
      'org.manageInvitations',
      'org.manageTeams',
      'org.readAudit',
      'org.exportAudit',
      'org.reviewAccess',
      'org.manageWebhooks',
      'org.manageProvisioning',
    ] as const) {
      expect(answer(refusal(action, org({}))), action).toBe('forbidden:forbidden');
      expect(can(action, org({ role: 'admin' })), action).toBe(true);
    }
    expect(refusal('org.manageWebhooks', org({}))?.message).toBe('Only organization admins can manage webhooks.');
    expect(refusal('org.manageProvisioning', org({}))?.message).toBe('Only organization admins can manage provisioning.');
    expect(refusal('org.readAudit', org({}))?.message).toMatch(/^Only organization admins can read the whole audit log/);
    expect(refusal('org.createSharedDataset', org({}))?.message).toBe(
      'Only organization admins can share a dataset with the whole organization.',
    );
    for (const action of ['org.manageMembers', 'org.manageTeams', 'org.readAudit', 'org.manageWebhooks'] as const) {
      expect(answer(refusal(action, org({ role: 'admin', scope: 'write' })))).toBe('forbidden:token_scope');
      expect(can(action, org({ role: 'admin', scope: 'admin' }))).toBe(true);
    }
    // A read-scoped token changes nothing, even as an admin; reading stays open to it.
    expect(answer(refusal('org.createDataset', org({ scope: 'read' })))).toBe('forbidden:token_scope');
    expect(can('org.read', org({ scope: 'read' }))).toBe(true);
  });

  it('lets an admin remove anyone and a member only themself', () => {
    expect(can('org.removeMember', org({ role: 'admin' }))).toBe(true);
    expect(can('org.removeMember', org({ self: true }))).toBe(true);
    expect(answer(refusal('org.removeMember', org({})))).toBe('forbidden:forbidden');
    expect(answer(refusal('org.removeMember', org({ role: null, self: true })))).toBe('not_found:not_found');
  });

  it('shows a job to its starter and its organization’s admins only; to anyone else it does not exist', () => {
    for (const action of ['job.read', 'job.cancel'] as const) {
      expect(can(action, { starter: true, orgRole: null, scope: null })).toBe(true);
      expect(can(action, { starter: false, orgRole: 'admin', scope: null })).toBe(true);
      expect(answer(refusal(action, { starter: false, orgRole: 'member', scope: null }))).toBe('not_found:not_found');
      expect(answer(refusal(action, { starter: false, orgRole: null, scope: 'admin' }))).toBe('not_found:not_found');
    }
  });

  it("lets a token cancel its user's own job within its scope, and someone else's only with the full scope", () => {
    expect(can('job.cancel', { starter: true, orgRole: null, scope: 'write' })).toBe(true);
    expect(answer(refusal('job.cancel', { starter: true, orgRole: null, scope: 'read' }))).toBe('forbidden:token_scope');
    // Cancelling a member's job administers the organization.
    expect(can('job.cancel', { starter: false, orgRole: 'admin', scope: 'admin' })).toBe(true);
    expect(answer(refusal('job.cancel', { starter: false, orgRole: 'admin', scope: 'write' }))).toBe('forbidden:token_scope');
    // Reading it is not.
    expect(can('job.read', { starter: false, orgRole: 'admin', scope: 'read' })).toBe(true);
  });

  it('admits a direct grant to an outsider only while the dataset is shared externally', () => {
    for (const visibility of VISIBILITIES) {
      expect(tierAdmitsDirectGrant(true, visibility)).toBe(true);
      expect(tierAdmitsDirectGrant(false, visibility)).toBe(visibility === 'external');
    }
  });
});

describe('the policy table, by property', () => {
  it('allows no dataset action without a level, and every refusal then is 404', () => {
    fc.assert(
      fc.property(datasetFacts, (facts) => {
        const none = { ...facts, level: null };
        expect(allowedDatasetActions(none)).toEqual([]);
        for (const action of DATASET_ACTIONS) expect(answer(refusal(action, none))).toBe('not_found:not_found');
      }),
    );
  });

  it('is monotone: a higher level, a wider scope, an org admin role or the capability never takes an action away', () => {
    const raise = <T>(order: readonly T[], from: T) => order.slice(order.indexOf(from));
    fc.assert(
      fc.property(datasetFacts, (facts) => {
        const allowed = allowedDatasetActions(facts);
        const levels = facts.level === null ? LEVELS : raise(LEVELS, facts.level);
        const scopes: (TokenScope | null)[] = facts.scope === null ? [null] : [...raise(TOKEN_SCOPES, facts.scope), null];
        for (const higher of levels) {
          for (const wider of scopes) {
            const more = allowedDatasetActions({ ...facts, level: higher, scope: wider });
            for (const action of allowed) expect(more).toContain(action);
          }
        }
        const asAdmin = allowedDatasetActions({ ...facts, orgRole: 'admin', processDatasets: true });
        for (const action of allowed) expect(asAdmin).toContain(action);
      }),
    );
  });

  it('never lets a caller act above the level their token allows', () => {
    fc.assert(
      fc.property(datasetFacts, (facts) => {
        const acting = actingLevel(facts.level, facts.scope);
        for (const action of allowedDatasetActions(facts)) {
          expect(acting !== null && rankOf(acting) >= rankOf(POLICY[action].level)).toBe(true);
        }
      }),
    );
  });

  it('answers allowedActions exactly as the refusals do', () => {
    fc.assert(
      fc.property(datasetFacts, orgFacts, (d, o) => {
        expect(allowedDatasetActions(d)).toEqual(DATASET_ACTIONS.filter((a) => refusal(a, d) === null));
        expect(allowedOrgActions(o)).toEqual(ORG_ACTIONS.filter((a) => refusal(a, { ...o, self: false }) === null));
        for (const action of ORG_ACTIONS) {
          // An org admin may do everything a member may.
          if (can(action, { ...o, role: 'member' })) expect(can(action, { ...o, role: 'admin' })).toBe(true);
        }
      }),
    );
  });

  it('gives every refusal a status the API documents for it: 403 or 404', () => {
    fc.assert(
      fc.property(datasetFacts, orgFacts, (d, o) => {
        for (const action of DATASET_ACTIONS) {
          const refused = refusal(action, d);
          if (refused) expect(refused).toBeInstanceOf(DomainError);
          if (refused) expect(['forbidden', 'not_found']).toContain(refused.kind);
        }
        for (const action of ORG_ACTIONS) {
          const refused = refusal(action, o);
          if (refused) expect(['forbidden', 'not_found']).toContain(refused.kind);
        }
      }),
    );
  });
});
