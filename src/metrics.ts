import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Db } from './store/database.js';
import { unfinishedJobCounts } from './store/jobs.js';
import { outboxStats } from './store/outbox.js';

/** What an operator watches (docs/operations.md), in Prometheus' text format at GET /metrics. */
export const registry = new Registry();

const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface RequestSeries {
  /** The series' labels as the text format writes them. */
  labels: string;
  /** Requests by the first bucket they fit, the last for none (`+Inf`). */
  counts: number[];
  sum: number;
}

/**
 * Every HTTP request's count and duration by method, route template and status, written in
 * Prometheus' text format with the registry's metrics: `tessera_http_requests_total` and the
 * histogram `tessera_http_request_duration_seconds`. A request is one Map lookup and three
 * additions. prom-client's Counter and Histogram validated and hashed the labels and made a
 * closure and two objects for every observation: 0.6 µs in a loop, about 4 µs of the server's
 * CPU a request under load (docs/performance.md). The text they wrote is the same.
 */
export class RequestMetrics {
  private readonly series = new Map<string, RequestSeries>();

  observe(method: string, route: string, status: number, seconds: number): void {
    const key = `${method} ${status} ${route}`;
    let series = this.series.get(key);
    if (series === undefined) {
      series = {
        labels: `method="${labelValue(method)}",route="${labelValue(route)}",status="${status}"`,
        counts: new Array<number>(DURATION_BUCKETS.length + 1).fill(0),
        sum: 0,
      };
      this.series.set(key, series);
    }
    let bucket = 0;
    while (bucket < DURATION_BUCKETS.length && seconds > DURATION_BUCKETS[bucket]!) bucket += 1;
    series.counts[bucket]! += 1;
    series.sum += seconds;
  }

  /** Both metrics in the text format, each with its HELP and TYPE lines. */
  text(): string {
    const requests = [
      '# HELP tessera_http_requests_total HTTP requests answered, by route template and status',
      '# TYPE tessera_http_requests_total counter',
    ];
    const durations = [
      '# HELP tessera_http_request_duration_seconds Time to answer an HTTP request, by route template and status',
      '# TYPE tessera_http_request_duration_seconds histogram',
    ];
    for (const { labels, counts, sum } of this.series.values()) {
      let count = 0;
      for (const [i, bound] of DURATION_BUCKETS.entries()) {
        count += counts[i]!;
        durations.push(`tessera_http_request_duration_seconds_bucket{le="${bound}",${labels}} ${count}`);
      }
      count += counts[DURATION_BUCKETS.length]!;
      durations.push(
        `tessera_http_request_duration_seconds_bucket{le="+Inf",${labels}} ${count}`,
        `tessera_http_request_duration_seconds_sum{${labels}} ${sum}`,
        `tessera_http_request_duration_seconds_count{${labels}} ${count}`,
      );
      requests.push(`tessera_http_requests_total{${labels}} ${count}`);
    }
    return `${requests.join('\n')}\n\n${durations.join('\n')}\n`;
  }
}

/** A label value in the text format: backslash, double quote and line feed escaped. */
function labelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}

export const requestMetrics = new RequestMetrics();

/** Every metric of this process in Prometheus' text format. */
export async function metricsText(): Promise<string> {
  return `${await registry.metrics()}\n${requestMetrics.text()}`;
}

export const accessCheckDuration = new Histogram({
  name: 'tessera_access_check_duration_seconds',
  help: 'Time to decide one user’s level on one dataset',
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
  registers: [registry],
});

export const deliveryFailures = new Counter({
  name: 'tessera_outbox_delivery_failures_total',
  help: 'Failed delivery attempts, by kind; final="true" when the message was given up',
  labelNames: ['kind', 'final'] as const,
  registers: [registry],
});

const outboxPending = new Gauge({
  name: 'tessera_outbox_pending',
  help: 'Messages waiting to be delivered (queued or being sent), by kind',
  labelNames: ['kind'] as const,
  registers: [registry],
});

const outboxOldestAge = new Gauge({
  name: 'tessera_outbox_oldest_age_seconds',
  help: 'Age of the oldest message not yet delivered, by kind (0 when none)',
  labelNames: ['kind'] as const,
  registers: [registry],
});

const outboxFailed = new Gauge({
  name: 'tessera_outbox_failed',
  help: 'Messages given up after a day of retries and not retried since, by kind',
  labelNames: ['kind'] as const,
  registers: [registry],
});

const jobsWaiting = new Gauge({
  name: 'tessera_jobs',
  help: 'Processing jobs queued or running',
  labelNames: ['status'] as const,
  registers: [registry],
});

/** Reads the queue gauges from the database, so every instance reports the same numbers. */
export async function refreshQueueGauges(db: Db, now: number): Promise<void> {
  outboxPending.reset();
  outboxOldestAge.reset();
  outboxFailed.reset();
  for (const kind of ['mail', 'webhook']) {
    outboxPending.set({ kind }, 0);
    outboxOldestAge.set({ kind }, 0);
    outboxFailed.set({ kind }, 0);
  }
  for (const row of await outboxStats(db)) {
    outboxPending.set({ kind: row.kind }, row.pending);
    outboxOldestAge.set({ kind: row.kind }, row.oldest === null ? 0 : Math.max(0, (now - row.oldest) / 1000));
    outboxFailed.set({ kind: row.kind }, row.failed);
  }
  const jobs = await unfinishedJobCounts(db);
  jobsWaiting.set({ status: 'queued' }, 0);
  jobsWaiting.set({ status: 'running' }, 0);
  for (const row of jobs) jobsWaiting.set({ status: row.status }, Number(row.n));
}

export const webhookDeliveries = new Counter({
  name: 'tessera_webhook_deliveries_total',
  help: 'Webhook delivery attempts by outcome: delivered, retrying (failed, tried again) or failed (given up)',
  labelNames: ['outcome'] as const,
  registers: [registry],
});
