import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProcessDatabase, processDatabase, type ServerProcess, spawnTessera, verifiedToken, waitForExit } from '../helpers/process.js';

/** The process ids of a process's children that run the server. */
function childrenOf(pid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .filter((line) => line.includes('src/main.ts'))
      .map((line) => Number.parseInt(line.trim(), 10))
      .filter((n) => n > 0);
  } catch {
    return [];
  }
}

describe('WORKERS=2: two server processes on one port (sqlite)', () => {
  let database: ProcessDatabase;
  let server: ServerProcess;
  beforeAll(async () => {
    database = await processDatabase('sqlite', 'workers');
    server = await spawnTessera({ ...database.env, WORKERS: '2' }, { startupMs: 90_000 });
  }, 120_000);
  afterAll(async () => {
    if (server.child.exitCode === null) {
      server.child.kill('SIGKILL');
      await waitForExit(server.child);
    }
    await database.drop();
  });

  it('serves requests from both, a revocation holds on every one at the next request, and SIGTERM stops them all', async () => {
    // Both workers listen once the first answers; wait for the second to be forked and ready.
    await expect.poll(() => childrenOf(server.child.pid!).length, { timeout: 60_000 }).toBe(2);
    const workers = childrenOf(server.child.pid!);
    const token = await verifiedToken(server.url, database.env);
    const call = (method: string, path: string, body?: unknown) =>
      fetch(`${server.url}/api/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
    const org = (await (await call('POST', '/orgs', { name: 'acme' })).json()) as { id: string };
    const created = await call('POST', `/orgs/${org.id}/datasets`, { name: 'cams' });
    expect(created.status).toBe(201);
    const dataset = (await created.json()) as { id: string };
    // Many requests over fresh connections: the port hands them to either process.
    const reads = await Promise.all(Array.from({ length: 40 }, () => call('GET', `/datasets/${dataset.id}`)));
    expect(reads.map((r) => r.status)).toEqual(Array(40).fill(200));
    expect((await call('DELETE', `/datasets/${dataset.id}`)).status).toBe(204);
    const after = await Promise.all(Array.from({ length: 20 }, () => call('GET', `/datasets/${dataset.id}`)));
    expect(after.map((r) => r.status)).toEqual(Array(20).fill(404));

    server.child.kill('SIGTERM');
    expect(await waitForExit(server.child)).toBe(0);
    for (const pid of workers) expect(() => process.kill(pid, 0)).toThrow();
  }, 120_000);
});
