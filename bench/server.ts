import cluster from 'node:cluster';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import pino from 'pino';
import { startTessera } from '../src/app.js';
import type { Config, DatabaseConfig } from '../src/config.js';
import { DatasetSchema, datasetJson } from '../src/http/schemas.js';
import { openStore } from '../src/store/database.js';
import type { DatasetsTable } from '../src/store/schema.js';

/**
 * The server under load, in a process of its own (forked by bench/http.ts): the real Tessera
 * from `startTessera`, and beside it a bare Fastify route, the ceiling for one process here.
 */
export interface ServerStart {
  database: DatabaseConfig;
  dataDir: string;
  smtpUrl?: string;
}

export interface ServerReady {
  port: number;
  barePort: number;
}

export interface ServerMemory {
  rss_mb: number;
  /** Anonymous memory: the heap and everything else the process allocated. */
  rss_anon_mb: number;
  /** Mapped files: the program's code, and on SQLite the database pages the read connection maps (the OS file cache). */
  rss_file_mb: number;
  heap_used_mb: number;
}

function memory(): ServerMemory {
  const status = fs.readFileSync('/proc/self/status', 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);
  return {
    rss_mb: mb(process.memoryUsage().rss),
    rss_anon_mb: Math.round(kb('RssAnon') / 1024),
    rss_file_mb: Math.round(kb('RssFile') / 1024),
    heap_used_mb: mb(process.memoryUsage().heapUsed),
  };
}

async function main(start: ServerStart): Promise<void> {
  const config: Config = {
    port: 0,
    host: '127.0.0.1',
    dataDir: start.dataDir,
    database: start.database,
    publicUrl: new URL('http://127.0.0.1'),
    smtpUrl: start.smtpUrl,
    mailFrom: 'Tessera <bench@tessera.test>',
    // Request logs off, as under any load test; the bare route logs nothing either.
    logLevel: 'warn',
    maxUploadBytes: 10 * 1024 * 1024,
    blobs: { kind: 'filesystem' },
    signup: 'open',
    ipLimits: false,
  };
  if (cluster.isWorker) return serveAsWorker(config);
  const workers = Number(process.env.BENCH_WORKERS ?? 1);
  const tessera = workers > 1 ? await startWorkers(workers) : await startOne(config);
  // The bare route answers a real dataset of this world through the same response schema and
  // the same serializer as GET /datasets/:id: what remains between the two is the access work.
  const row = await readOneDataset(start);
  const bare = Fastify();
  bare.get('/bare', { schema: { response: { 200: DatasetSchema } } }, async () => datasetJson(row, 'read', ['dataset.read']));
  await bare.listen({ host: '127.0.0.1', port: 0 });

  process.on('message', async (message: { type: string }) => {
    if (message.type === 'memory') process.send?.({ type: 'memory', memory: memory() });
    if (message.type === 'cpu') process.send?.({ type: 'cpu', cpu: process.cpuUsage() });
    if (message.type === 'stop') {
      await bare.close();
      await tessera.stop();
      process.exit(0);
    }
  });
  const ready: ServerReady = { port: tessera.port, barePort: (bare.server.address() as AddressInfo).port };
  process.send?.({ type: 'ready', ...ready });
}

async function readOneDataset(start: ServerStart): Promise<DatasetsTable> {
  const store = await openStore(start.database);
  try {
    return await store.db.selectFrom('datasets').selectAll().orderBy('id').limit(1).executeTakeFirstOrThrow();
  } finally {
    await store.close();
  }
}

async function startOne(config: Config): Promise<{ port: number; stop(): Promise<void> }> {
  const tessera = await startTessera(config, pino({ level: config.logLevel }));
  await tessera.app.listen({ host: '127.0.0.1', port: 0 });
  return { port: (tessera.app.server.address() as AddressInfo).port, stop: () => tessera.stop(1_000) };
}

/** BENCH_WORKERS=N: N server processes on one port, as WORKERS=N runs them (src/main.ts). */
async function startWorkers(n: number): Promise<{ port: number; stop(): Promise<void> }> {
  const forked = Array.from({ length: n }, () => cluster.fork());
  const ports = await Promise.all(
    forked.map(
      (worker) =>
        new Promise<number>((resolve, reject) => {
          worker.once('message', (message: { port: number }) => resolve(message.port));
          worker.once('exit', (code) => reject(new Error(`a bench worker exited (${code})`)));
        }),
    ),
  );
  return {
    port: ports[0]!,
    async stop() {
      await Promise.all(
        forked.map((worker) => {
          const exited = new Promise((resolve) => worker.once('exit', resolve));
          worker.process.kill('SIGTERM');
          return exited;
        }),
      );
    },
  };
}

async function serveAsWorker(config: Config): Promise<void> {
  const tessera = await startTessera(config, pino({ level: config.logLevel }));
  // In a cluster, every worker that listens on port 0 shares one port.
  await tessera.app.listen({ host: '127.0.0.1', port: 0 });
  process.on('SIGTERM', () => void tessera.stop(1_000).then(() => process.exit(0)));
  process.send?.({ port: (tessera.app.server.address() as AddressInfo).port });
}

main(JSON.parse(process.env.TESSERA_BENCH_SERVER ?? '{}') as ServerStart).catch((error: unknown) => {
  process.stderr.write(`bench server failed: ${String(error)}\n`);
  process.exit(1);
});
