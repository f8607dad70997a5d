import { checkAccess } from '../src/access/check.js';
import { actingAs } from '../src/access/scope.js';
import { inviteToDataset } from '../src/invitations/send.js';
import { setUserGrant } from '../src/sharing/sharing.js';
import type { SmtpSink } from '../test/helpers/smtp.js';
import type { Instance } from './instance.js';
import { round, Samples } from './stats.js';
import type { WorldFacts } from './world.js';

/** (dataset admin, dataset): the creators of the datasets the world remembered, with their tier. */
export async function datasetAdmins(instance: Instance, facts: WorldFacts) {
  const now = Date.now();
  const admins: { admin: string; dataset: string; org: string; visibility: string }[] = [];
  for (const [admin, dataset] of facts.creators) {
    const access = await checkAccess(instance.ctx.db, actingAs(admin), dataset, now);
    if (access?.level === 'admin') admins.push({ admin, dataset, org: access.dataset.org_id, visibility: access.dataset.visibility });
  }
  return admins;
}

export interface WriteFigures {
  grants_per_s: number;
  grant_p99_ms: number;
  invitations_per_s: number;
  invitation_request_p99_ms: number;
  /** Invitations mailed and received by the local SMTP sink, per second, from the first request to the last mail. */
  invitations_delivered_per_s: number;
  mails_received: number;
}

/**
 * Grants one at a time through the use case (upsert, audit event, notification mail), then
 * invitations five addresses a request, each mailed to a real SMTP server on localhost.
 */
export async function measureWrites(instance: Instance, facts: WorldFacts, sink: SmtpSink, count: number): Promise<WriteFigures> {
  const { ctx } = instance;
  const admins = await datasetAdmins(instance, facts);
  const bigOrg = admins.filter((a) => a.org === facts.bigOrg && a.admin !== facts.heavyUser);
  instance.mailer.deliverTo(sink.url);

  const grants = new Samples();
  const grantStart = performance.now();
  for (let i = 0; i < count; i += 1) {
    const { admin, dataset } = bigOrg[i % bigOrg.length]!;
    const level = Math.floor(i / bigOrg.length) % 2 === 0 ? 'write' : 'read';
    const t = process.hrtime.bigint();
    await setUserGrant(ctx, actingAs(admin), dataset, facts.heavyUser, { level });
    grants.add(Number(process.hrtime.bigint() - t));
  }
  const grantSeconds = (performance.now() - grantStart) / 1000;
  await ctx.delivery.drain();

  // Five addresses a request, at most 30 requests per inviter: well inside the hourly send limit.
  const external = admins.filter((a) => a.visibility === 'external');
  const requests = Math.max(1, Math.floor(count / 5));
  const before = sink.messages.length;
  const invitations = new Samples();
  const inviteStart = performance.now();
  for (let i = 0; i < requests; i += 1) {
    const { admin, dataset } = external[Math.floor(i / 30) % external.length]!;
    const emails = Array.from({ length: 5 }, (_, k) => `partner-${Date.now()}-${i}-${k}@example.test`);
    const t = process.hrtime.bigint();
    await inviteToDataset(ctx, actingAs(admin), dataset, { emails, level: 'read' });
    invitations.add(Number(process.hrtime.bigint() - t));
  }
  const inviteSeconds = (performance.now() - inviteStart) / 1000;
  await ctx.delivery.drain();
  const deadline = Date.now() + 30_000;
  while (sink.messages.length - before < requests * 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const deliveredSeconds = (performance.now() - inviteStart) / 1000;
  instance.mailer.deliverTo(null);
  const received = sink.messages.length - before;
  return {
    grants_per_s: Math.round(count / grantSeconds),
    grant_p99_ms: grants.millis().p99_ms,
    invitations_per_s: Math.round((requests * 5) / inviteSeconds),
    invitation_request_p99_ms: invitations.millis().p99_ms,
    invitations_delivered_per_s: round(received / deliveredSeconds, 1),
    mails_received: received,
  };
}
