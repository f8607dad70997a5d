import cluster from 'node:cluster';
import os from 'node:os';
import { type Config, ConfigError, loadConfig } from './config.js';
import { createLogger } from './logging.js';
import { migrate, openStore } from './store/database.js';

/** WORKERS unset: one server process per core, at most this many. */
const MAX_DEFAULT_WORKERS = 4;
/** A server process that dies is started again, unless they die this often (a broken deployment). */
const RESTARTS_PER_MINUTE = 10;

/** WORKERS: how many server processes share the port. 1 runs the server in this process. */
function workersOf(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === '') return Math.max(1, Math.min(os.availableParallelism(), MAX_DEFAULT_WORKERS));
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new ConfigError(`WORKERS must be an integer between 1 and 64, got "${raw}".`);
  return n;
}

function configOrExit(): { config: Config; workers: number } {
  try {
    return { config: loadConfig(), workers: cluster.isWorker ? 1 : workersOf(process.env.WORKERS) };
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`Configuration error: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
}

/** One server: the whole of Tessera in this process, until SIGTERM or SIGINT. */
async function serve(config: Config): Promise<void> {
  const logger = createLogger(config.logLevel);
  // Loaded here, so the supervising process of several never loads the server.
  const { startTessera } = await import('./app.js');
  const tessera = await startTessera(config, logger);
  await tessera.app.listen({ port: config.port, host: config.host });
  logger.info(
    {
      url: config.publicUrl.toString(),
      database: config.database.kind,
      mail: config.smtpUrl ? 'smtp' : 'outbox',
      blobs: config.blobs.kind,
      sso: config.oidc ? config.oidc.name : 'off',
      ...(cluster.isWorker ? { worker: cluster.worker?.id } : {}),
    },
    'Tessera is ready',
  );

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    tessera.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

/**
 * WORKERS > 1: this process migrates the database once, then runs that many server processes
 * on the one port (node:cluster hands each connection to one of them) and starts again any that
 * dies. Each is a complete instance, as several instances on one database are: checks read the
 * database, so a revocation holds on all at once, and mail, webhooks and jobs are claimed by one
 * instance at a time. On SQLite they share the WAL database, one writer at a time. SIGTERM or
 * SIGINT stops them all, each finishing its requests under way.
 */
async function supervise(config: Config, workers: number): Promise<void> {
  const logger = createLogger(config.logLevel);
  const store = await openStore(config.database);
  await migrate(store).finally(() => store.close());
  let stopping = false;
  const restarts: number[] = [];
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    const now = Date.now();
    restarts.push(now);
    while (restarts.length > 0 && restarts[0]! < now - 60_000) restarts.shift();
    if (restarts.length > RESTARTS_PER_MINUTE) {
      logger.error({ code, signal }, 'server processes keep exiting; stopping');
      process.exit(1);
    }
    logger.error({ worker: worker.id, code, signal }, 'a server process exited; starting another');
    cluster.fork();
  });
  for (let i = 0; i < workers; i += 1) cluster.fork();
  logger.info({ workers }, 'server processes starting');

  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const running = Object.values(cluster.workers ?? {}).filter((w) => w !== undefined);
    let left = running.length;
    if (left === 0) process.exit(0);
    for (const worker of running) {
      worker.once('exit', () => {
        left -= 1;
        if (left === 0) process.exit(0);
      });
      worker.process.kill('SIGTERM');
    }
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

async function main(): Promise<void> {
  const { config, workers } = configOrExit();
  if (cluster.isPrimary && workers > 1) await supervise(config, workers);
  else await serve(config);
}

main().catch((error: unknown) => {
  console.error('Tessera could not start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
