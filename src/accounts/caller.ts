import { type CallerCheck, checkSql, type DatasetRow, type FactRow, splitCallerRow } from '../access/check.js';
import type { Context } from '../context.js';
import { readBatched } from '../store/batch.js';
import { dialectOf, Parameters, readSql, type SqlDialect } from '../store/reader.js';
import { readUnchanged } from '../store/unchanged.js';

/**
 * What a request proves itself with: a session or an access token, each a row found by the hash
 * of its secret. `extra` is what the row adds to the caller; `live` says the row is in force at
 * the parameter `now`.
 */
const CREDENTIALS = {
  sessions: { extra: 'c.id as caller_session_id', live: (now: string) => `c.expires_at > ${now}` },
  access_tokens: { extra: 'c.scope as caller_scope', live: (now: string) => `(c.expires_at is null or c.expires_at > ${now})` },
} as const;

export interface CallerRow {
  id: string;
  email: string;
  name: string;
  email_verified: number;
  last_used_at: number | null;
  /** When the session or token stops being valid; null for a token without expiry. */
  expires_at: number | null;
}

/** The caller (null for no live credential) and, when a dataset was named, the check read with it. */
interface CallerRead<C> {
  caller: C | null;
  check: (DatasetRow & FactRow) | undefined;
}

type CallerParameter = 'now' | 'dataset' | 'token';

/** A statement's text, and which value each of its parameters takes, in order. */
interface CallerStatement {
  text: string;
  parameters: CallerParameter[];
}

const statements = new Map<string, CallerStatement>();

/** The statement, written once per credential, dialect and shape: a request only looks it up. */
function callerStatement(table: keyof typeof CREDENTIALS, dialect: SqlDialect, checking: boolean): CallerStatement {
  const key = `${table} ${dialect} ${checking}`;
  let statement = statements.get(key);
  if (statement === undefined) {
    statement = dialect === 'sqlite' ? sqliteCallerStatement(table, checking) : postgresCallerStatement(table, checking);
    statements.set(key, statement);
  }
  return statement;
}

const callerColumns = (table: keyof typeof CREDENTIALS) => `u.id as caller_id, u.email as caller_email, u.name as caller_name,
      u.email_verified as caller_email_verified, ${CREDENTIALS[table].extra}, c.last_used_at as caller_last_used_at,
      c.expires_at as caller_expires_at`;

function sqliteCallerStatement(table: keyof typeof CREDENTIALS, checking: boolean): CallerStatement {
  // The values are the names of what each parameter takes; SQLite numbers them by place.
  const p = new Parameters('sqlite');
  const check = checkSql(
    () => 'u.id',
    () => p.add('now'),
    true,
  );
  // In the order of the text: the columns, the dataset, its join.
  const columns = checking ? `, ${check.columns()}` : '';
  const dataset = checking ? ` left join datasets d on d.id = ${p.add('dataset')}${check.join()}` : '';
  const text = `select ${callerColumns(table)}${columns}
    from ${table} c join users u on u.id = c.user_id${dataset}
    where c.token_hash = ${p.add('token')} and ${CREDENTIALS[table].live(p.add('now'))}`;
  return { text, parameters: p.values as CallerParameter[] };
}

/**
 * PostgreSQL: the reads of many requests in one statement (store/batch.ts), one array parameter
 * per value, each read's row carrying its place. Each read is decided at its own `now`. The
 * `limit 1` keeps the credential a lookup of its unique index per read, whatever the plan.
 */
function postgresCallerStatement(table: keyof typeof CREDENTIALS, checking: boolean): CallerStatement {
  const parameters: CallerParameter[] = checking ? ['token', 'now', 'dataset'] : ['token', 'now'];
  const reads = checking
    ? 'unnest($1::text[], $2::bigint[], $3::text[]) with ordinality as q(token, now, dataset, i)'
    : 'unnest($1::text[], $2::bigint[]) with ordinality as q(token, now, i)';
  const check = checkSql(
    () => 'u.id',
    () => 'q.now',
    false,
  );
  const columns = checking ? `, ${check.columns()}` : '';
  const dataset = checking ? ` left join datasets d on d.id = q.dataset${check.join()}` : '';
  const text = `select q.i as batch_index, ${callerColumns(table)}${columns}
    from ${reads}
    cross join lateral (select * from ${table} c where c.token_hash = q.token and ${CREDENTIALS[table].live('q.now')} limit 1) c
    join users u on u.id = c.user_id${dataset}`;
  return { text, parameters };
}

/**
 * The user behind a live session or token, in one statement prepared once (store/reader.ts).
 * On SQLite the answer is remembered only while the database is unchanged (store/unchanged.ts),
 * so a logout or a revoked token holds for the next request on every instance. Last use is kept to the
 * minute and written in batches (access/usage.ts), never by the request. With `checking`, the
 * same statement also reads the caller's access to that dataset, which the request keeps for its
 * actor and its own check then takes (access/check.ts): one statement, one snapshot, for the
 * caller and the check.
 */
export async function callerOfCredential<Extra>(
  ctx: Context,
  table: keyof typeof CREDENTIALS,
  tokenHash: string,
  checking: string | undefined,
): Promise<{ caller: CallerRow & Extra; check: CallerCheck | undefined } | null> {
  const now = ctx.clock.now();
  const dialect = dialectOf(ctx.db);
  const { text, parameters } = callerStatement(table, dialect, checking !== undefined);
  const given = { now, dataset: checking, token: tokenHash };
  const values = parameters.map((name) => given[name]);
  const started = performance.now();
  const read = await readUnchanged<CallerRead<CallerRow & Extra>>(
    ctx.db,
    `${table}\u0000${tokenHash}\u0000${checking ?? ''}`,
    now,
    async () => {
      const [row] =
        dialect === 'postgres' ? await readBatched(ctx.db, text, values) : await readSql<Record<string, unknown>>(ctx.db, text, values);
      if (!row) return { caller: null, check: undefined };
      const { caller, check } = splitCallerRow<CallerRow & Extra>(row);
      return { caller: Object.freeze(caller), check: Object.freeze(check) };
    },
    // A refusal is not remembered (it holds no longer than now); a caller until the credential expires.
    ({ caller }) => (caller === null ? now : caller.expires_at === null ? Number.POSITIVE_INFINITY : Number(caller.expires_at)),
    // The credential and its user, and the dataset checked with them: a change to either forgets the read.
    ({ caller }) => ({ userId: caller?.id ?? null, datasetId: checking ?? null }),
  );
  const { caller, check } = read;
  if (caller === null) return null;
  ctx.usage.touch(table, tokenHash, caller.last_used_at === null ? null : Number(caller.last_used_at), now);
  return {
    caller,
    check: checking === undefined ? undefined : { datasetId: checking, now, row: check, seconds: (performance.now() - started) / 1000 },
  };
}
