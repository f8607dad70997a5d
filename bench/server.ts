import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import pino from 'pino';
import { startTessera } from '../src/app.js';
import type { Config, DatabaseConfig } from '../src/config.js';

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
    signup: 'open',
    ipLimits: false,
  };
  const tessera = await startTessera(config, pino({ level: config.logLevel }));
  await tessera.app.listen({ host: '127.0.0.1', port: 0 });
  const bare = Fastify();
  bare.get('/bare', async () => ({ id: 'ds_bare', name: 'bare' }));
  await bare.listen({ host: '127.0.0.1', port: 0 });

  process.on('message', async (message: { type: string }) => {
    if (message.type === 'memory') process.send?.({ type: 'memory', memory: memory() });
    if (message.type === 'stop') {
      await bare.close();
      await tessera.stop(1_000);
      process.exit(0);
    }
  });
  const ready: ServerReady = {
    port: (tessera.app.server.address() as AddressInfo).port,
    barePort: (bare.server.address() as AddressInfo).port,
  };
  process.send?.({ type: 'ready', ...ready });
}

main(JSON.parse(process.env.TESSERA_BENCH_SERVER ?? '{}') as ServerStart).catch((error: unknown) => {
  process.stderr.write(`bench server failed: ${String(error)}\n`);
  process.exit(1);
});
