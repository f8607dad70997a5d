/**
 * Load: 64 concurrent clients for 2 minutes (--short: 10 s) of reads, inventory pages, shares,
 * revokes, invitations and accepts, against one instance on SQLite and two instances on one
 * PostgreSQL. Zero 5xx, zero lost acknowledged writes, every decision right.
 *   npm run test:load [-- --short] [-- --db sqlite|postgres]
 */
import { SmtpSink } from '../../test/helpers/smtp.js';
import {
  Checks,
  environment,
  flag,
  type Kind,
  option,
  percentile,
  seed,
  serverStats,
  startServers,
  stopServers,
  storedLevel,
} from './harness.js';
import { type LaneModel, lostWrites, newTally, runLane } from './workload.js';

const short = flag('short');
const seconds = Number(option('seconds', short ? '10' : '120'));
const clients = Number(option('clients', '64'));
const kinds: Kind[] = option('db', 'both') === 'both' ? ['sqlite', 'postgres'] : [option('db', 'sqlite') as Kind];
const checks = new Checks();

for (const kind of kinds) {
  const sink = await SmtpSink.start();
  const env = await environment(kind, { SMTP_URL: sink.url });
  const servers = await startServers(env.env, kind === 'postgres' ? 2 : 1);
  try {
    const seeded = await seed(env.store, clients);
    const models: LaneModel[] = seeded.lanes.map((lane) => ({ lane, userLevel: null, inviteeLevel: null, triedLinks: new Set<string>() }));
    const tally = newTally();
    const until = Date.now() + seconds * 1000;
    const started = Date.now();
    await Promise.all(
      models.map((m) =>
        runLane(
          m,
          seeded,
          servers.map((s) => s.url),
          sink,
          tally,
          until,
          0,
          false,
        ),
      ),
    );
    const elapsed = (Date.now() - started) / 1000;
    const lost = await lostWrites(models, storedLevel(env.store));
    const label = `${kind}, ${servers.length} instance(s), ${clients} clients, ${seconds} s`;
    const summary = Object.entries(tally.latencies)
      .map(([op, ms]) => `${op} p50 ${percentile(ms, 50).toFixed(1)} ms p99 ${percentile(ms, 99).toFixed(1)} ms (${ms.length})`)
      .join('; ');
    console.log(`${label}: ${tally.requests} requests, ${(tally.requests / elapsed).toFixed(0)} req/s; ${summary}`);
    console.log(`server RSS: ${servers.map((s) => `${serverStats(s.child.pid!).rssMb.toFixed(0)} MB`).join(', ')}`);
    checks.check(tally.requests > clients * 10, `${label}: load was offered (${tally.requests} requests)`);
    checks.check(tally.fiveHundreds === 0, `${label}: no 5xx (${tally.fiveHundreds})`);
    checks.check(
      tally.wrongDecisions.length === 0,
      `${label}: every decision right${tally.wrongDecisions.length ? `: ${tally.wrongDecisions.slice(0, 3).join(' | ')}` : ''}`,
    );
    checks.check(lost.length === 0, `${label}: no acknowledged write lost${lost.length ? `: ${lost.slice(0, 3).join(' | ')}` : ''}`);
  } finally {
    await stopServers(servers);
    await sink.close();
    await env.cleanup();
  }
}
checks.finish();
