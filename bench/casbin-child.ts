import { type Adapter, type Model, newEnforcer, newModelFromString } from 'casbin';
import { isScaleName, scaleOf } from './scale.js';
import { startWorld, worldRows } from './world.js';

/**
 * The peer: node-casbin, RBAC with domains (the domain is the organization), loaded with the
 * same world in a process of its own, so that its load time and memory are its own.
 *
 *   org admin   g(user, role:admin, org)    p(role:admin, org, *, admin)
 *   org member  g(user, role:member, org)   p(role:member, org, dataset, read)  per dataset shared at a tier
 *   team        g(user, team, org)          p(team, org, dataset, level)        per live team grant
 *   direct      p(user, org, dataset, level)  per live direct grant, dormant ones left out
 *
 * Levels include those below them through a matcher function. Expired and dormant grants are
 * resolved while loading, which favours casbin: its answers can go stale where ours cannot.
 */
export const CASBIN_MODEL = `
[request_definition]
r = sub, dom, obj, act

[policy_definition]
p = sub, dom, obj, act

[role_definition]
g = _, _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = r.dom == p.dom && (p.obj == "*" || r.obj == p.obj) && atLeast(p.act, r.act) && g(r.sub, p.sub, r.dom)
`;

const LEVELS = ['', 'read', 'annotate', 'write', 'admin'];

/** The world as casbin rules, generated from the same seed as the database's rows. */
function worldRules(scaleName: string, now: number): { p: string[][]; g: string[][] } {
  if (!isScaleName(scaleName)) throw new Error(`unknown scale ${scaleName}`);
  const { shape, facts } = startWorld(scaleOf(scaleName), now);
  const p: string[][] = [];
  const g: string[][] = [];
  const teamOrg = new Map<string, string>();
  const userOrgs = new Map<string, Set<string>>();
  const datasets = new Map<string, { org: string; tier: string }>();
  const live = (expiresAt: unknown) => expiresAt === null || Number(expiresAt) > now;
  for (const { table, rows } of worldRows(shape, now, facts)) {
    for (const r of rows) {
      if (table === 'orgs') p.push(['role:admin', String(r[0]), '*', 'admin']);
      else if (table === 'org_members') {
        const [org, user, role] = r.map(String) as [string, string, string];
        g.push([user, `role:${role}`, org]);
        if (!userOrgs.has(user)) userOrgs.set(user, new Set());
        userOrgs.get(user)!.add(org);
      } else if (table === 'teams') teamOrg.set(String(r[0]), String(r[1]));
      else if (table === 'team_members') g.push([String(r[1]), String(r[0]), teamOrg.get(String(r[0]))!]);
      else if (table === 'datasets') {
        const [id, org, , , , tier] = r.map(String) as string[];
        datasets.set(id!, { org: org!, tier: tier! });
        if (tier !== 'admins') p.push(['role:member', org!, id!, 'read']);
      } else if (table === 'team_grants' && live(r[3])) {
        const d = datasets.get(String(r[0]))!;
        p.push([String(r[1]), d.org, String(r[0]), LEVELS[Number(r[2])]!]);
      } else if (table === 'user_grants' && live(r[3])) {
        const d = datasets.get(String(r[0]))!;
        const user = String(r[1]);
        if (userOrgs.get(user)?.has(d.org) || d.tier === 'external') p.push([user, d.org, String(r[0]), LEVELS[Number(r[2])]!]);
      }
    }
  }
  return { p, g };
}

/** Loads rules as an adapter backed by a database would, without parsing CSV lines. */
function arrayAdapter(rules: { p: string[][]; g: string[][] }): Adapter {
  const unsupported = () => Promise.reject(new Error('read-only'));
  return {
    async loadPolicy(model: Model) {
      model.model.get('p')!.get('p')!.policy = rules.p;
      model.model.get('g')!.get('g')!.policy = rules.g;
    },
    savePolicy: unsupported,
    addPolicy: unsupported,
    removePolicy: unsupported,
    removeFilteredPolicy: unsupported,
  };
}

interface Job {
  scale: string;
  now: number;
  /** (user, org, dataset) to ask for read access. */
  pairs: [string, string, string][];
  budgetMs: number;
}

async function main(job: Job): Promise<void> {
  const rules = worldRules(job.scale, job.now);
  process.send?.({ type: 'generated' });
  const started = performance.now();
  const enforcer = await newEnforcer(newModelFromString(CASBIN_MODEL), arrayAdapter(rules));
  enforcer.addFunction('atLeast', (granted: string, wanted: string) => LEVELS.indexOf(granted) >= LEVELS.indexOf(wanted));
  const loadSeconds = (performance.now() - started) / 1000;
  process.send?.({
    type: 'loaded',
    load_s: loadSeconds,
    rss_mb: Math.round(process.memoryUsage().rss / 1024 / 1024),
    policies: rules.p.length,
    groupings: rules.g.length,
  });

  const latencies: number[] = [];
  const decisions: boolean[] = [];
  const deadline = Date.now() + job.budgetMs;
  for (const [user, org, dataset] of job.pairs) {
    if (latencies.length >= 5 && Date.now() > deadline) break;
    const t = process.hrtime.bigint();
    decisions.push(enforcer.enforceSync(user, org, dataset, 'read'));
    latencies.push(Number(process.hrtime.bigint() - t));
  }
  process.send?.({ type: 'measured', latencies, decisions });
}

process.once('message', (job: Job) => {
  main(job).catch((error: unknown) => {
    process.stderr.write(`casbin peer failed: ${String(error)}\n`);
    process.exit(1);
  });
});
