/**
 * Soak: the load workload at a low rate for 10 minutes (--short: 30 s) on SQLite, sampling the
 * server's memory and open handles: both must stay flat.
 *   npm run test:soak [-- --short]
 */
import { SmtpSink } from '../../test/helpers/smtp.js';
import { Checks, environment, flag, option, seed, serverStats, startServers, stopServers, storedLevel } from './harness.js';
import { type LaneModel, lostWrites, newTally, runLane } from './workload.js';

const short = flag('short');
const seconds = Number(option('seconds', short ? '30' : '600'));
const checks = new Checks();
const sink = await SmtpSink.start();
const env = await environment('sqlite', { SMTP_URL: sink.url });
const [server] = await startServers(env.env, 1);
try {
  const seeded = await seed(env.store, 8);
  const models: LaneModel[] = seeded.lanes.map((lane) => ({ lane, userLevel: null, inviteeLevel: null, triedLinks: new Set<string>() }));
  const tally = newTally();
  const samples: { rssMb: number; fds: number }[] = [];
  const until = Date.now() + seconds * 1000;
  const sampler = setInterval(() => samples.push(serverStats(server!.child.pid!)), Math.max(1000, (seconds * 1000) / 60));
  await Promise.all(models.map((m) => runLane(m, seeded, [server!.url], sink, tally, until, 25, false)));
  clearInterval(sampler);
  const quarter = Math.max(1, Math.floor(samples.length / 4));
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  // The first quarter includes warm-up (JIT, caches); compare the second quarter with the last.
  const early = samples.slice(quarter, 2 * quarter);
  const late = samples.slice(-quarter);
  const rss = [mean(early.map((s) => s.rssMb)), mean(late.map((s) => s.rssMb))] as const;
  const fds = [mean(early.map((s) => s.fds)), mean(late.map((s) => s.fds))] as const;
  console.log(
    `${seconds} s, ${tally.requests} requests; RSS ${rss[0].toFixed(0)} → ${rss[1].toFixed(0)} MB; open handles ${fds[0].toFixed(0)} → ${fds[1].toFixed(0)}`,
  );
  const lost = await lostWrites(models, storedLevel(env.store));
  checks.check(
    tally.fiveHundreds === 0 && tally.wrongDecisions.length === 0 && lost.length === 0,
    `soak: no 5xx, no wrong decision, no lost write (${tally.requests} requests)`,
  );
  checks.check(rss[1] < rss[0] * 1.3 + 20, `soak: memory flat (${rss[0].toFixed(0)} → ${rss[1].toFixed(0)} MB)`);
  checks.check(fds[1] <= fds[0] + 10, `soak: open handles flat (${fds[0].toFixed(0)} → ${fds[1].toFixed(0)})`);
} finally {
  await stopServers([server!]);
  await sink.close();
  await env.cleanup();
}
checks.finish();
