import os from 'node:os';
import type { CasbinRun } from './casbin.js';
import type { CheckFigures } from './check.js';
import type { FanOutFigures } from './fanout.js';
import type { InventoryFigures, NaiveFigures } from './inventory.js';
import type { HttpFigures, MixedRun } from './load.js';
import type { RevocationFigures } from './revocation.js';
import type { ServerMemory } from './server.js';
import { round } from './stats.js';
import type { WriteFigures } from './writes.js';

/** Everything one run measured; the field names issue 7 asks for are all here. */
export interface BenchResult {
  scale: string;
  db: 'sqlite' | 'postgres';
  at: string;
  machine: { cpus: number; cpu: string; node: string; load_before: number[]; load_after: number[] };
  seed_s: number;
  seed_rows: number;
  seed_rows_per_s: number;
  db_mb: number;
  world: Record<string, number>;
  rss_mb: number;
  memory: ServerMemory;
  check: CheckFigures & { floor: { p50_us: number; p99_us: number } };
  inventory: InventoryFigures;
  http: HttpFigures;
  /** The mixed load on one server process (WORKERS=1). */
  mixed: MixedRun[];
  /** The same mixed load on two server processes sharing the port (WORKERS=2). */
  mixed_workers: { workers: number; runs: MixedRun[] }[];
  writes: WriteFigures;
  fanout: FanOutFigures;
  revocation: RevocationFigures;
  peer: {
    casbin: (CasbinRun & { ours_check_p50_us: number; ours_check_p99_us: number; p99_ratio: number }) | null;
    naive_inventory: NaiveFigures & { ratio_p99: number; agrees: boolean };
  };
  targets: Target[];
}

export interface Target {
  name: string;
  target: string;
  value: string;
  met: boolean;
}

type Inputs = Omit<BenchResult, 'targets' | 'machine' | 'at'> & { loadBefore: number[] };

export function assemble(inputs: Inputs): BenchResult {
  const { loadBefore, ...rest } = inputs;
  const result: BenchResult = {
    ...rest,
    at: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      cpu: os.cpus()[0]?.model ?? '',
      node: process.version,
      load_before: loadBefore,
      load_after: os.loadavg(),
    },
    targets: [],
  };
  result.targets = targetsOf(result);
  return result;
}

function targetsOf(r: BenchResult): Target[] {
  const sqlite = r.db === 'sqlite';
  const pageLimit = sqlite ? 2 : 5;
  const t = (name: string, target: string, value: number, unit: string, met: boolean, onCpu?: number): Target => ({
    name,
    target,
    value: `${value}${unit}${onCpu === undefined || Number.isNaN(onCpu) ? '' : ` (on CPU ${onCpu}${unit})`}`,
    met,
  });
  const checkLimit = sqlite ? 20 : 400;
  const targets: Target[] = [t('check p99', `≤ ${checkLimit} µs`, r.check.p99_us, ' µs', r.check.p99_us <= checkLimit, r.check.cpu_p99_us)];
  // The gate every dataset route pays, against the check timed side by side with it.
  const gate = round(r.check.authorize.p99_us / r.check.authorize.check_p99_us, 2);
  targets.push(t('`authorizeDataset` p99 / check p99, side by side', '≤ 1.2', gate, '×', gate <= 1.2));
  if (r.peer.casbin) {
    targets.push(
      t(`check vs casbin (${r.peer.casbin.scale}, p99)`, '≥ 100×', r.peer.casbin.p99_ratio, '×', r.peer.casbin.p99_ratio >= 100),
    );
  }
  for (const [name, figures] of Object.entries({
    'inventory heavy, first page': r.inventory.heavy_first,
    'inventory heavy, page 20': r.inventory.heavy_page20,
    'inventory typical member': r.inventory.typical_first,
    'inventory external accessor': r.inventory.external_first,
    'inventory name search': r.inventory.search,
    'inventory rare name search': r.inventory.search_rare,
  })) {
    targets.push(t(`${name} p99`, `≤ ${pageLimit} ms`, figures.p99_ms, ' ms', figures.p99_ms <= pageLimit));
  }
  const page20 = round(r.inventory.heavy_page20.p50_ms / r.inventory.heavy_first.p50_ms, 2);
  targets.push(t('page 20 / page 1 (p50)', '≤ 1.1', page20, '', page20 <= 1.1));
  targets.push(t('naive / ours, heavy user p99', '≥ 20×', r.peer.naive_inventory.ratio_p99, '×', r.peer.naive_inventory.ratio_p99 >= 20));
  targets.push(
    t('stale allows after revoke', '0', r.revocation.stale_allows, ` in ${r.revocation.rounds}`, r.revocation.stale_allows === 0),
  );
  const ratioLimit = sqlite ? 0.5 : 0.3;
  targets.push(t('authorized GET / bare route', `≥ ${ratioLimit}`, r.http.ratio, '', r.http.ratio >= ratioLimit));
  if (sqlite) {
    targets.push(t('HTTP inventory page, typical member', '≥ 1,500 req/s', r.http.inventory_rps, ' req/s', r.http.inventory_rps >= 1_500));
    const busiest = Math.max(0, ...r.mixed.map((run) => run.achieved_rps));
    targets.push(t('mixed load, one process', '≥ 5,000 req/s', busiest, ' req/s', busiest >= 5_000));
  }
  if (sqlite && r.scale === 'full') targets.push(t('seeding the full world', '≤ 300 s', round(r.seed_s, 1), ' s', r.seed_s <= 300));
  return targets;
}

const ms = (f: { p50_ms: number; p99_ms: number }) => `${f.p50_ms} / ${f.p99_ms}`;

export function markdownOf(r: BenchResult): string {
  const c = r.peer.casbin;
  const lines = [
    `# Tessera benchmark — ${r.scale}, ${r.db}`,
    '',
    `${r.at}, ${r.machine.cpus} × ${r.machine.cpu}, Node ${r.machine.node}; load average ${r.machine.load_before.map((l) => l.toFixed(1)).join(' ')} before, ${r.machine.load_after.map((l) => l.toFixed(1)).join(' ')} after (other work shares this machine).`,
    '',
    `World: ${Object.entries(r.world)
      .map(([table, n]) => `${n.toLocaleString('en')} ${table}`)
      .join(
        ', ',
      )}; seeded in ${round(r.seed_s, 1)} s (${Math.round(r.seed_rows_per_s).toLocaleString('en')} rows/s); ${r.db_mb.toLocaleString('en')} MB on disk.`,
    '',
    '| measurement | p50 / p99 | also |',
    '| --- | --- | --- |',
    `| check (\`checkAccess\`, in process) | ${r.check.p50_us} / ${r.check.p99_us} µs${Number.isNaN(r.check.cpu_p99_us) ? '' : ` (on CPU ${r.check.cpu_p50_us} / ${r.check.cpu_p99_us})`} | ${r.check.ops_per_s.toLocaleString('en')} checks/s, ${Math.round(r.check.hit_share * 100)} % allowed; each pair's best of five ${r.check.best_of_5_p50_us} / ${r.check.best_of_5_p99_us} µs; floor ${r.check.floor.p50_us} / ${r.check.floor.p99_us} µs |`,
    `| \`authorizeDataset\` (throws on a miss) | ${r.check.authorize.p50_us} / ${r.check.authorize.p99_us} µs | the check timed side by side with it: ${r.check.authorize.check_p50_us} / ${r.check.authorize.check_p99_us} µs |`,
    `| inventory, heavy user, first page | ${ms(r.inventory.heavy_first)} ms | sees ${r.inventory.sees.heavy.toLocaleString('en')} datasets |`,
    `| inventory, heavy user, page 20 | ${ms(r.inventory.heavy_page20)} ms | keyset |`,
    `| inventory, typical member, first / page 20 | ${ms(r.inventory.typical_first)} / ${ms(r.inventory.typical_page20)} ms | sees ${r.inventory.sees.typical.toLocaleString('en')} |`,
    `| inventory, external accessor | ${ms(r.inventory.external_first)} ms | sees ${r.inventory.sees.external.toLocaleString('en')} |`,
    `| inventory, heavy user, search "${r.inventory.search.term}" | ${ms(r.inventory.search)} ms | |`,
    `| inventory, heavy user, search "${r.inventory.search_rare.term}" | ${ms(r.inventory.search_rare)} ms | a rare term |`,
    `| naive inventory, heavy user, first page | ${r.peer.naive_inventory.heavy_p50_ms} / ${r.peer.naive_inventory.heavy_p99_ms} ms | page 20 p99 ${r.peer.naive_inventory.heavy_page20_p99_ms} ms; ours is ${r.peer.naive_inventory.ratio_p99}× faster; same first page: ${r.peer.naive_inventory.agrees} |`,
    `| HTTP GET /datasets/:id (32 connections) | – / ${r.http.authorized_p99_ms} ms | ${r.http.authorized_rps.toLocaleString('en')} req/s = ${r.http.ratio} × bare route (${r.http.bare_rps.toLocaleString('en')} req/s) |`,
    `| HTTP inventory page (typical member) | – / ${r.http.inventory_p99_ms} ms | ${r.http.inventory_rps.toLocaleString('en')} req/s |`,
    `| grants / invitations | – / ${r.writes.grant_p99_ms} ms, ${r.writes.invitation_request_p99_ms} ms | ${r.writes.grants_per_s} grants/s, ${r.writes.invitations_per_s} invitations/s, ${r.writes.invitations_delivered_per_s} mailed/s |`,
    `| revoke, then check on both instances | ${r.revocation.revoke_p50_ms} / ${r.revocation.revoke_p99_ms} ms | ${r.revocation.stale_allows} stale allows in ${r.revocation.rounds.toLocaleString('en')} rounds |`,
    `| server memory | | RSS ${r.memory.rss_mb} MB: ${r.memory.rss_anon_mb} MB anonymous (heap ${r.memory.heap_used_mb} MB), ${r.memory.rss_file_mb} MB mapped files${r.db === 'sqlite' ? ' (mostly database pages)' : ' (code)'} |`,
    c
      ? `| casbin enforce (${c.scale} world, ${c.policies.toLocaleString('en')} policies) | ${c.check_p50_us} / ${c.check_p99_us} µs | loads in ${c.load_s} s, RSS ${c.rss_mb} MB; ours ${c.ours_check_p50_us} / ${c.ours_check_p99_us} µs at that scale: ${c.p99_ratio}× at p99; ${Math.round(c.agreement * 100)} % same decisions (${c.samples} samples) |`
      : '| casbin | | did not load within two minutes |',
    '',
    '| fan-out write | p50 / p99 | rows touched | checks meanwhile, p99 |',
    '| --- | --- | --- | --- |',
    ...Object.entries(r.fanout)
      .filter(([, v]) => typeof v === 'object')
      .map(([name, v]) => {
        const f = v as FanOutFigures['accept_invitation'];
        return `| ${name.replaceAll('_', ' ')} | ${ms(f)} ms | ${f.rows_touched ?? 'n/a'} | ${f.concurrent_check_p99_us} µs (idle ${r.fanout.idle_check_p99_us} µs) |`;
      }),
    '',
    '| mixed load, offered req/s | workers | achieved | dropped | p50 / p99 | non-2xx |',
    '| --- | --- | --- | --- | --- | --- |',
    ...[{ workers: 1, runs: r.mixed }, ...r.mixed_workers].flatMap(({ workers, runs }) =>
      runs.map(
        (m) =>
          `| ${m.offered_rps.toLocaleString('en')} | ${workers} | ${m.achieved_rps.toLocaleString('en')} | ${m.dropped.toLocaleString('en')} | ${m.p50_ms} / ${m.p99_ms} ms | ${m.non2xx} |`,
      ),
    ),
    '',
    `| target${r.scale === 'full' ? '' : ' (set for the full scale)'} | wanted | measured (wall clock; on CPU: less any wait for one) | |`,
    '| --- | --- | --- | --- |',
    ...r.targets.map((t) => `| ${t.name} | ${t.target} | ${t.value} | ${t.met ? 'met' : 'missed'} |`),
    '',
  ];
  return lines.join('\n');
}
