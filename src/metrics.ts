import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Db } from './store/database.js';
import { unfinishedJobCounts } from './store/jobs.js';
import { outboxStats } from './store/outbox.js';

/** What an operator watches (docs/operations.md), in Prometheus' text format at GET /metrics. */
export const registry = new Registry();

export const httpRequests = new Counter({
  name: 'tessera_http_requests_total',
  help: 'HTTP requests answered, by route template and status',
  labelNames: ['method', 'route', 'status'] as const,
  registers: [registry],
});

export const httpDuration = new Histogram({
  name: 'tessera_http_request_duration_seconds',
  help: 'Time to answer an HTTP request, by route template and status',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

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
