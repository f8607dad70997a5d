import type { Actor } from './client.js';
import type { TestServer } from './server.js';

/** A processing job as `GET /api/v1/jobs/:id` answers it. */
export interface JobJson {
  id: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed';
  done: number;
  total: number;
  datasetId?: string;
  error?: string;
}

export const settled = (job: JobJson) => job.status === 'succeeded' || job.status === 'failed';

/** Polls a job until `done` says so; every answer seen on the way is kept, to check progress never goes back. */
export async function followJob(actor: Actor, jobId: string, done: (job: JobJson) => boolean): Promise<JobJson[]> {
  const seen: JobJson[] = [];
  for (let i = 0; i < 400; i += 1) {
    const res = await actor.get<JobJson>(`/api/v1/jobs/${jobId}`);
    if (res.status !== 200) throw new Error(`job ${jobId}: ${res.status} ${JSON.stringify(res.body)}`);
    seen.push(res.body);
    if (done(res.body)) return seen;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`job ${jobId} never got there: ${JSON.stringify(seen.at(-1))}`);
}

/** The job once `done` says so. */
export async function until(actor: Actor, jobId: string, done: (job: JobJson) => boolean): Promise<JobJson> {
  return (await followJob(actor, jobId, done)).at(-1)!;
}

/**
 * Holds processing after it has read the source and before it writes anything (as it holds the
 * first file), until the returned function is called.
 */
export function pauseProcessing(server: TestServer): () => void {
  const hold = server.ctx.blobs.hold.bind(server.ctx.blobs);
  let open!: () => void;
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  server.ctx.blobs.hold = async (sha256) => {
    await gate;
    return hold(sha256);
  };
  return () => {
    server.ctx.blobs.hold = hold;
    open();
  };
}
