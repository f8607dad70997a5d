import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { TOKEN_PREFIX } from '../src/accounts/tokens.js';
import { hashSecret, newSecret } from '../src/secrets.js';
import type { Db } from '../src/store/database.js';
import type { BenchDatabase } from './seed.js';
import type { ServerMemory, ServerReady, ServerStart } from './server.js';
import { round } from './stats.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Tessera in a process of its own, with a bare Fastify route beside it. */
export interface ServerProcess extends ServerReady {
  url: string;
  bareUrl: string;
  memory(): Promise<ServerMemory>;
  /** CPU time the server process has used so far, in µs (one process: WORKERS=1). */
  cpuMicros(): Promise<number>;
  stop(): Promise<void>;
}

export async function startServerProcess(database: BenchDatabase, smtpUrl?: string, workers = 1): Promise<ServerProcess> {
  const start: ServerStart = { database: database.config, dataDir: database.dataDir, ...(smtpUrl ? { smtpUrl } : {}) };
  const child: ChildProcess = fork(path.join(here, 'server.ts'), [], {
    // BENCH_PROFILE_DIR=/some/dir writes a CPU profile of the server process there when it stops.
    execArgv: [
      '--import',
      'tsx',
      ...(process.env.BENCH_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE_DIR}`] : []),
    ],
    env: { ...process.env, TESSERA_BENCH_SERVER: JSON.stringify(start), BENCH_WORKERS: String(workers) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  // A bench that fails half-way must not leave its server behind.
  const orphan = () => child.kill('SIGKILL');
  process.once('exit', orphan);
  const next = <T>(type: string) =>
    new Promise<T>((resolve, reject) => {
      const onMessage = (message: { type: string } & T) => {
        if (message.type !== type) return;
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(message);
      };
      const onExit = (code: number | null) => reject(new Error(`the bench server exited (${code}) before "${type}"`));
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  const ready = await next<ServerReady>('ready');
  return {
    ...ready,
    url: `http://127.0.0.1:${ready.port}`,
    bareUrl: `http://127.0.0.1:${ready.barePort}`,
    async cpuMicros() {
      const reply = next<{ cpu: NodeJS.CpuUsage }>('cpu');
      child.send({ type: 'cpu' });
      const { cpu } = await reply;
      return cpu.user + cpu.system;
    },
    async memory() {
      const reply = next<{ memory: ServerMemory }>('memory');
      child.send({ type: 'memory' });
      return (await reply).memory;
    },
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send({ type: 'stop' });
      await exited;
      process.off('exit', orphan);
    },
  };
}

/** A personal access token for each user, written straight into the store (only its hash is kept). */
export async function issueTokens(db: Db, userIds: string[]): Promise<Map<string, string>> {
  const tokens = new Map<string, string>();
  const now = Date.now();
  const rows = userIds.map((userId, i) => {
    const token = `${TOKEN_PREFIX}${newSecret()}`;
    tokens.set(userId, token);
    return {
      id: `tok_bench_${now}_${i}`,
      user_id: userId,
      name: 'bench',
      token_hash: hashSecret(token),
      created_at: now,
      last_used_at: now,
    };
  });
  for (let i = 0; i < rows.length; i += 500)
    await db
      .insertInto('access_tokens')
      .values(rows.slice(i, i + 500))
      .execute();
  return tokens;
}

export interface LoadFigures {
  rps: number;
  p50_ms: number;
  p99_ms: number;
  requests: number;
  non2xx: number;
  errors: number;
}

export interface LoadRequest {
  method: 'GET' | 'PUT';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** autocannon, 32 connections; each request is whatever `next` says (a different dataset each time). */
export async function load(
  url: string,
  next: () => LoadRequest,
  { seconds, connections = 32, overallRate }: { seconds: number; connections?: number; overallRate?: number },
): Promise<LoadFigures> {
  const result = await autocannon({
    url,
    connections,
    duration: seconds,
    ...(overallRate ? { overallRate } : {}),
    requests: [
      {
        setupRequest: (request) => {
          const r = next();
          return { ...request, method: r.method, path: r.path, headers: { ...request.headers, ...r.headers }, body: r.body ?? '' };
        },
      },
    ],
  });
  return {
    rps: Math.round(result.requests.total / result.duration),
    p50_ms: round(result.latency.p50, 2),
    p99_ms: round(result.latency.p99, 2),
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}
