import { Counter } from 'prom-client';
import { Unavailable } from '../errors.js';
import { registry } from '../metrics.js';
import type { Db } from './database.js';
import { readSql } from './reader.js';

/** Statements of one kind on their way to PostgreSQL at once; the reads that come meanwhile wait for the next. */
const MAX_RUNNING = 2;
/** Reads in one statement at most. */
const MAX_READS = 128;
/** How long a statement may take before its reads fail as unavailable (503) and its slot goes to the next. */
const DEADLINE_MS = 10_000;

interface Waiting {
  values: unknown[];
  deadlineMs: number;
  resolve: (rows: Record<string, unknown>[]) => void;
  reject: (error: unknown) => void;
}

interface Batch {
  waiting: Waiting[];
  running: number;
  scheduled: boolean;
}

const batches = new WeakMap<Db, Map<string, Batch>>();

export const batchedReads = new Counter({
  name: 'tessera_batched_reads_total',
  help: 'Reads of a caller and their check made together with others in one PostgreSQL statement',
  registers: [registry],
});

export const readBatches = new Counter({
  name: 'tessera_read_batches_total',
  help: 'PostgreSQL statements that made the batched reads (batched reads ÷ batches: reads per statement)',
  registers: [registry],
});

/**
 * One read among the many that requests make at the same moment, made together with them in one
 * prepared statement on PostgreSQL: one round trip, one plan run and one pooled connection for all
 * of them instead of one each. `text` takes one array parameter per value of a read (in the order
 * of `values`), unnests them `with ordinality`, and answers each read's rows with its 1-based
 * place in the column `batch_index`.
 *
 * A read joins the statement that is sent after it was asked for, never one already sent, so it
 * sees every commit made before it was asked for: a revocation holds for the next request, as if
 * each read had its statement alone. Reads asked for in the same turn of the event loop go
 * together; while `MAX_RUNNING` statements of the kind are out, the next waits for one to come
 * back, and carries what came meanwhile. Should a statement fail on a value (a data exception),
 * each of its reads is made again alone, so a read that cannot be made fails by itself; should
 * the database fail, they all fail with it. A statement that takes more than its deadline fails
 * its reads as unavailable and leaves its place to the next.
 */
export function readBatched(
  db: Db,
  text: string,
  values: unknown[],
  { deadlineMs = DEADLINE_MS } = {},
): Promise<Record<string, unknown>[]> {
  let kinds = batches.get(db);
  if (!kinds) {
    kinds = new Map();
    batches.set(db, kinds);
  }
  let batch = kinds.get(text);
  if (!batch) {
    batch = { waiting: [], running: 0, scheduled: false };
    kinds.set(text, batch);
  }
  const waiting = batch;
  return new Promise((resolve, reject) => {
    waiting.waiting.push({ values, deadlineMs, resolve, reject });
    schedule(db, text, waiting);
  });
}

function schedule(db: Db, text: string, batch: Batch): void {
  if (batch.scheduled || batch.running >= MAX_RUNNING || batch.waiting.length === 0) return;
  batch.scheduled = true;
  setImmediate(() => {
    batch.scheduled = false;
    while (batch.running < MAX_RUNNING && batch.waiting.length > 0) {
      const reads = batch.waiting.splice(0, MAX_READS);
      batch.running += 1;
      // The slot is free again when the statement answers, fails or passes its deadline, whichever
      // comes first: a statement that never answers (a connection gone silent) holds its reads
      // no longer than the deadline, and the reads after it are sent.
      let freed = false;
      const free = () => {
        if (freed) return;
        freed = true;
        clearTimeout(deadline);
        batch.running -= 1;
        schedule(db, text, batch);
      };
      const deadlineMs = reads[0]!.deadlineMs;
      const deadline = setTimeout(() => {
        const late = new Unavailable(new Error(`A batched read took more than ${deadlineMs} ms`));
        for (const read of reads) read.reject(late);
        free();
      }, deadlineMs);
      deadline.unref();
      void send(db, text, reads).then(free, free);
    }
  });
}

/** SQLSTATE class 22, a data exception: a value one read brought, which the others did not. */
const isDataException = (error: unknown) => String((error as { code?: unknown }).code ?? '').startsWith('22');

async function send(db: Db, text: string, reads: Waiting[]): Promise<void> {
  const columns = reads[0]!.values.map((_, column) => reads.map((read) => read.values[column]));
  let rows: Record<string, unknown>[];
  try {
    rows = await readSql<Record<string, unknown>>(db, text, columns, { prepare: true });
  } catch (error) {
    if (reads.length > 1 && isDataException(error)) {
      // One read's value cannot be read: each again alone, one after another, so that read fails by itself.
      for (const read of reads) await send(db, text, [read]);
    } else {
      // The database or the connection failed: every read of the statement would fail alike.
      for (const read of reads) read.reject(error);
    }
    return;
  }
  readBatches.inc();
  batchedReads.inc(reads.length);
  const answers: Record<string, unknown>[][] = reads.map(() => []);
  for (const row of rows) {
    const { batch_index: index, ...rest } = row;
    const answer = answers[Number(index) - 1];
    if (!answer) {
      const error = new Error('A batched statement answered a row without its place (batch_index)');
      for (const read of reads) read.reject(error);
      return;
    }
    answer.push(rest);
  }
  for (const [i, read] of reads.entries()) read.resolve(answers[i]!);
}
