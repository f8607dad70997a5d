import { checkAccess } from '../src/access/check.js';
import { actingAs } from '../src/access/scope.js';
import { revokeUserGrant } from '../src/sharing/sharing.js';
import { issueTokens, type ServerProcess } from './http.js';
import type { Instance } from './instance.js';
import { ProgressBar } from './progress.js';
import { Samples } from './stats.js';
import type { WorldFacts } from './world.js';
import { datasetAdmins } from './writes.js';

export interface RevocationFigures {
  rounds: number;
  /** Checks that still allowed after the revoke had returned, on either instance: must be 0. */
  stale_allows: number;
  stale_allows_same_instance: number;
  stale_allows_other_instance: number;
  /** Reads before the revoke that were refused (the grant had not taken): must be 0 too. */
  missed_grants: number;
  revoke_p50_ms: number;
  revoke_p99_ms: number;
  instances: number;
}

/**
 * Rounds of grant → read on instance B (so anything B might remember is warm) → revoke on
 * instance A → check on A in process and read on B over HTTP, right after the revoke returns.
 * The grantee belongs to no organization and the dataset is shared externally, so the
 * revoked grant was the only path: any answer but "no access" is a stale allow.
 */
export async function measureRevocation(instance: Instance, server: ServerProcess, facts: WorldFacts, rounds: number) {
  const { ctx } = instance;
  const outsiders = facts.outsiders.slice(0, 50);
  const tokens = await issueTokens(ctx.db, outsiders);
  const external = (await datasetAdmins(instance, facts)).filter((a) => a.visibility === 'external');
  const read = async (user: string, dataset: string) =>
    (await fetch(`${server.url}/api/v1/datasets/${dataset}`, { headers: { authorization: `Bearer ${tokens.get(user)}` } })).status;

  const revokes = new Samples();
  const figures: RevocationFigures = {
    rounds: 0,
    stale_allows: 0,
    stale_allows_same_instance: 0,
    stale_allows_other_instance: 0,
    missed_grants: 0,
    revoke_p50_ms: 0,
    revoke_p99_ms: 0,
    instances: 2,
  };
  const bar = new ProgressBar('revocation', rounds);
  for (let i = 0; figures.rounds < rounds && i < rounds * 3; i += 1) {
    const user = outsiders[i % outsiders.length]!;
    const { admin, dataset } = external[Math.floor(i / outsiders.length) % external.length]!;
    if (await checkAccess(ctx.db, actingAs(user), dataset, ctx.clock.now())) continue;
    // Written as the grant use case writes it, but without its notice e-mail: notices count against
    // the sender's hourly send limit, which these rounds would exhaust. The revoke is the use case.
    await ctx.db
      .insertInto('user_grants')
      .values({
        dataset_id: dataset,
        user_id: user,
        level: 1,
        expires_at: null,
        granted_by: admin,
        created_at: ctx.clock.now(),
        last_used_at: null,
      })
      .execute();
    if ((await read(user, dataset)) !== 200) figures.missed_grants += 1;
    const t = process.hrtime.bigint();
    await revokeUserGrant(ctx, actingAs(admin), dataset, user);
    revokes.add(Number(process.hrtime.bigint() - t));
    const here = await checkAccess(ctx.db, actingAs(user), dataset, ctx.clock.now());
    const there = await read(user, dataset);
    if (here) figures.stale_allows_same_instance += 1;
    if (there !== 404) figures.stale_allows_other_instance += 1;
    if (here || there !== 404) figures.stale_allows += 1;
    figures.rounds += 1;
    bar.update(figures.rounds);
  }
  bar.finish();
  return { ...figures, revoke_p50_ms: revokes.millis().p50_ms, revoke_p99_ms: revokes.millis().p99_ms };
}
