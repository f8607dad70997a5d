import { Counter } from 'prom-client';
import { registry } from '../metrics.js';
import type { Db } from './database.js';
import { readSql } from './reader.js';

/** Statements of one kind on their way to PostgreSQL at once; the reads that come meanwhile wait for the next. */
const MAX_RUNNING = 2;
/** Reads in one statement at most. */
const MAX_READS = 128;

interface Waiting {
  values: unknown[];
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
 * back, and carries what came meanwhile. Should a statement fail, each of its reads is made
 * again alone, so a read that cannot be made fails by itself.
 */
export function readBatched(db: Db, text: string, values: unknown[]): Promise<Record<string, unknown>[]> {
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
    waiting.waiting.push({ values, resolve, reject });
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
      void send(db, text, reads).finally(() => {
        batch.running -= 1;
        schedule(db, text, batch);
      });
    }
  });
}

async function send(db: Db, text: string, reads: Waiting[]): Promise<void> {
  const columns = reads[0]!.values.map((_, column) => reads.map((read) => read.values[column]));
  let rows: Record<string, unknown>[];
  try {
    rows = await readSql<Record<string, unknown>>(db, text, columns, { prepare: true });
  } catch (error) {
    if (reads.length === 1) {
      reads[0]!.reject(error);
      return;
    }
    await Promise.all(reads.map((read) => send(db, text, [read])));
    return;
  }
  readBatches.inc();
  batchedReads.inc(reads.length);
  const answers: Record<string, unknown>[][] = reads.map(() => []);
  for (const row of rows) {
    const { batch_index: index, ...rest } = row;
    answers[Number(index) - 1]?.push(rest);
  }
  for (const [i, read] of reads.entries()) read.resolve(answers[i]!);
}
