import { sql } from 'kysely';
import { checkAccess } from '../src/access/check.js';
import { actingAs } from '../src/access/scope.js';
import { updateDataset } from '../src/datasets/datasets.js';
import { acceptInvitation } from '../src/invitations/redeem.js';
import { inviteToDataset } from '../src/invitations/send.js';
import { removeMember } from '../src/orgs/orgs.js';
import { addTeamMember } from '../src/teams/teams.js';
import { linkToken, type SmtpSink } from '../test/helpers/smtp.js';
import { checkPairs } from './check.js';
import type { Instance } from './instance.js';
import { Samples } from './stats.js';
import type { WorldFacts } from './world.js';
import { datasetAdmins } from './writes.js';

export interface FanOutCase {
  p50_ms: number;
  p99_ms: number;
  /** Rows the transaction wrote, audit event included (SQLite's total_changes; null on PostgreSQL). */
  rows_touched: number | null;
  /** p99 of the checks that ran in the same process while these writes ran. */
  concurrent_check_p99_us: number;
  samples: number;
}

export interface FanOutFigures {
  idle_check_p99_us: number;
  add_to_big_team: FanOutCase;
  change_tier_in_big_org: FanOutCase;
  remove_member_of_big_org: FanOutCase;
  accept_invitation: FanOutCase;
}

/** Checks on random pairs, back to back, until stopped: what other requests see while a write runs. */
function backgroundChecks(instance: Instance, facts: WorldFacts) {
  const pairs = checkPairs(facts, 10_000, 23);
  const samples = new Samples();
  let running = true;
  const done = (async () => {
    for (let i = 0; running; i += 1) {
      const [u, d] = pairs[i % pairs.length]!;
      const t = process.hrtime.bigint();
      await checkAccess(instance.ctx.db, actingAs(u), d, Date.now());
      samples.add(Number(process.hrtime.bigint() - t));
      await new Promise((resolve) => setImmediate(resolve));
    }
  })();
  return {
    samples,
    stop: async () => {
      running = false;
      await done;
    },
  };
}

async function timeCase(instance: Instance, facts: WorldFacts, writes: (() => Promise<unknown>)[]): Promise<FanOutCase> {
  const { ctx, store } = instance;
  const changes = async () =>
    store.dialect === 'sqlite' ? Number((await sql<{ n: number }>`select total_changes() as n`.execute(ctx.db)).rows[0]!.n) : null;
  const checks = backgroundChecks(instance, facts);
  const times = new Samples();
  let touched = 0;
  for (const write of writes) {
    const before = await changes();
    const t = process.hrtime.bigint();
    await write();
    times.add(Number(process.hrtime.bigint() - t));
    const after = await changes();
    if (before !== null && after !== null) touched += after - before;
  }
  await checks.stop();
  return {
    ...times.millis(),
    rows_touched: store.dialect === 'sqlite' ? Math.round(touched / writes.length) : null,
    concurrent_check_p99_us: checks.samples.micros().p99_us,
  };
}

/** Writes that would fan out in a model that materializes access, here each a handful of rows. */
export async function measureFanOut(instance: Instance, facts: WorldFacts, sink: SmtpSink, repeat: number): Promise<FanOutFigures> {
  const { ctx } = instance;
  const admin = facts.bigOrgAdmin;
  const idle = backgroundChecks(instance, facts);
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  await idle.stop();

  const members = await ctx.db
    .selectFrom('org_members')
    .select('user_id')
    .where('org_id', '=', facts.bigOrg)
    .where('role', '=', 'member')
    .where('user_id', 'not in', (eb) => eb.selectFrom('team_members').select('user_id').where('team_id', '=', facts.bigTeam))
    .limit(repeat * 2)
    .execute();
  const joiners = members.slice(0, repeat).map((m) => m.user_id);
  const leavers = members.slice(repeat, repeat * 2).map((m) => m.user_id);
  const admins = await datasetAdmins(instance, facts);
  // Tier changes between "organization" and "admins" leave the externally shared datasets to the invitations.
  const bigOrgDatasets = admins.filter((a) => a.org === facts.bigOrg && a.visibility !== 'external').slice(0, repeat);
  const external = admins.filter((a) => a.visibility === 'external');

  const addToTeam = await timeCase(
    instance,
    facts,
    joiners.map((u) => () => addTeamMember(ctx, actingAs(admin), facts.bigTeam, u)),
  );
  const changeTier = await timeCase(
    instance,
    facts,
    bigOrgDatasets.map(
      (d) => () => updateDataset(ctx, actingAs(admin), d.dataset, { visibility: d.visibility === 'admins' ? 'organization' : 'admins' }),
    ),
  );
  const removeFromOrg = await timeCase(
    instance,
    facts,
    leavers.map((u) => () => removeMember(ctx, actingAs(admin), facts.bigOrg, u)),
  );

  instance.mailer.deliverTo(sink.url);
  const invited = facts.outsiders.slice(-repeat);
  const tokens: string[] = [];
  for (const [i, user] of invited.entries()) {
    const { admin: inviter, dataset } = external[i % external.length]!;
    const email = `${user}@bench.tessera.test`;
    await inviteToDataset(ctx, actingAs(inviter), dataset, { emails: [email], level: 'annotate' });
    await ctx.delivery.drain();
    // Not timed: a busy machine may take a while to deliver.
    tokens.push(linkToken(await sink.waitFor((m) => m.to.includes(email), 30_000)));
  }
  instance.mailer.deliverTo(null);
  const accept = await timeCase(
    instance,
    facts,
    invited.map(
      (user, i) => () =>
        acceptInvitation(ctx, { id: user, email: `${user}@bench.tessera.test`, name: user, emailVerified: false }, tokens[i]!),
    ),
  );

  return {
    idle_check_p99_us: idle.samples.micros().p99_us,
    add_to_big_team: addToTeam,
    change_tier_in_big_org: changeTier,
    remove_member_of_big_org: removeFromOrg,
    accept_invitation: accept,
  };
}
