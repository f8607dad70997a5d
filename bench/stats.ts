/**
 * This process's time on a CPU in nanoseconds (getrusage: microsecond resolution, exact on
 * Linux). Set against the wall clock it separates what a check costs from time spent waiting
 * for a CPU on a shared machine. It counts every thread, so it is only meaningful for work too
 * short for the garbage collector's helper threads to run alongside: the check, not a page.
 */
export function processCpuNs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) * 1_000;
}

/** Latency samples in nanoseconds, summarized as the report wants them. */
export class Samples {
  private readonly values: number[] = [];

  add(nanoseconds: number): void {
    this.values.push(nanoseconds);
  }

  get count(): number {
    return this.values.length;
  }

  /** The q-quantile (0..1) in nanoseconds, nearest rank. */
  quantile(q: number): number {
    if (this.values.length === 0) return Number.NaN;
    const sorted = [...this.values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
  }

  micros(): { p50_us: number; p99_us: number; samples: number } {
    return { p50_us: round(this.quantile(0.5) / 1e3), p99_us: round(this.quantile(0.99) / 1e3), samples: this.count };
  }

  millis(): { p50_ms: number; p99_ms: number; samples: number } {
    return { p50_ms: round(this.quantile(0.5) / 1e6, 3), p99_ms: round(this.quantile(0.99) / 1e6, 3), samples: this.count };
  }
}

export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export function now(): bigint {
  return process.hrtime.bigint();
}

export function since(start: bigint): number {
  return Number(process.hrtime.bigint() - start);
}

let warned = false;

/**
 * Collects this process's garbage before a measurement in it (`npm run bench` runs Node with
 * `--expose-gc`). Seeding leaves hundreds of megabytes of dead rows in the old generation, and
 * until a full collection finds them dead, every young-generation collection also walks their
 * pointers: 2–3 ms each instead of under 1, one page in a hundred, which then decided the
 * inventory's p99 (docs/performance.md, eleventh round). A server carries no seeder's garbage.
 */
export function collectGarbage(): void {
  const { gc } = globalThis as { gc?: () => void };
  if (gc) gc();
  else if (!warned) {
    warned = true;
    process.stderr.write('note: run Node with --expose-gc to collect the garbage before each measurement (npm run bench does)\n');
  }
}

/**
 * Times `work` until `count` samples or `budgetMs` have passed, whichever comes first (at least
 * `minimum`). The garbage is collected first and `warmUp` runs untimed after that, so the
 * collector's sweeping after a full collection is over before the first sample.
 */
export async function sample(
  work: (i: number) => Promise<unknown>,
  { count, budgetMs, minimum = 1, warmUp = 0 }: { count: number; budgetMs: number; minimum?: number; warmUp?: number },
): Promise<Samples> {
  collectGarbage();
  for (let i = 0; i < warmUp; i += 1) await work(i);
  const samples = new Samples();
  const deadline = Date.now() + budgetMs;
  for (let i = 0; i < count && (i < minimum || Date.now() < deadline); i += 1) {
    const start = now();
    await work(i);
    samples.add(since(start));
  }
  return samples;
}

export function rssMb(): number {
  return round(process.memoryUsage().rss / 1024 / 1024, 1);
}
