import type { SmtpSink } from '../../test/helpers/smtp.js';
import { call, type Lane, type Seeded } from './harness.js';

const LEVELS = ['read', 'annotate', 'write', 'admin'] as const;
type Level = (typeof LEVELS)[number];

export interface LaneModel {
  lane: Lane;
  /** What the lane's client was told: the level each of its users must have now. */
  userLevel: Level | null;
  inviteeLevel: Level | null;
  triedLinks: Set<string>;
}

export interface Tally {
  requests: number;
  fiveHundreds: number;
  unavailable: number;
  wrongDecisions: string[];
  latencies: Record<string, number[]>;
}

export function newTally(): Tally {
  return { requests: 0, fiveHundreds: 0, unavailable: 0, wrongDecisions: [], latencies: {} };
}

const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)]!;

/**
 * One client working its own lane: reads, inventory pages, shares, revokes, invitations and
 * accepts, each request to a random instance. Each lane's state is known exactly to its client,
 * so every read is checked at once against the rule: allowed exactly when a grant stands.
 */
export async function runLane(
  model: LaneModel,
  seeded: Seeded,
  bases: string[],
  sink: SmtpSink,
  tally: Tally,
  until: number,
  pauseMs: number,
  tolerateUnavailable: boolean,
): Promise<void> {
  const { lane } = model;
  const ds = `/api/v1/datasets/${lane.datasetId}`;
  const timed = async (op: string, token: string, method: string, url: string, body?: unknown) => {
    for (;;) {
      const res = await call(pick(bases), token, method, url, body).catch(() => ({ status: 599, body: null, ms: 0, retryAfter: '1' }));
      tally.requests += 1;
      if ((res.status === 503 || res.status === 599) && tolerateUnavailable) {
        tally.unavailable += 1;
        await new Promise((r) => setTimeout(r, 200));
        if (Date.now() < until + 30_000) continue;
      }
      if (res.status >= 500) tally.fiveHundreds += 1;
      const latencies = tally.latencies[op] ?? [];
      latencies.push(res.ms);
      tally.latencies[op] = latencies;
      return res;
    }
  };
  const expectRead = async (who: 'user' | 'invitee') => {
    const actor = lane[who];
    const level = who === 'user' ? model.userLevel : model.inviteeLevel;
    const res = await timed('read', actor.token, 'GET', ds);
    const ok = level === null ? res.status === 404 : res.status === 200 && res.body.myLevel === level;
    if (!ok && res.status < 500)
      tally.wrongDecisions.push(
        `lane ${lane.index} ${who}: expected ${level ?? 'no access'}, got ${res.status} ${JSON.stringify(res.body).slice(0, 80)}`,
      );
  };

  while (Date.now() < until) {
    const roll = Math.random() * 100;
    if (roll < 30) await expectRead('user');
    else if (roll < 40) await expectRead('invitee');
    else if (roll < 55) {
      const res = await timed('inventory', lane.user.token, 'GET', '/api/v1/datasets?limit=50');
      const listed = res.status === 200 && res.body.items.some((d: { id: string }) => d.id === lane.datasetId);
      if (res.status === 200 && listed !== (model.userLevel !== null))
        tally.wrongDecisions.push(`lane ${lane.index}: inventory ${listed ? 'lists' : 'omits'} the dataset`);
    } else if (roll < 70) {
      const level = pick(LEVELS);
      const res = await timed('share', seeded.adminToken, 'PUT', `${ds}/sharing/users/${lane.user.id}`, { level });
      if (res.status === 200) model.userLevel = level;
    } else if (roll < 80) {
      const res = await timed('revoke', seeded.adminToken, 'DELETE', `${ds}/sharing/users/${lane.user.id}`);
      if (res.status === 204) model.userLevel = null;
    } else if (roll < 90) {
      const level = pick(LEVELS);
      await timed('invite', seeded.adminToken, 'POST', `${ds}/invitations`, { emails: [lane.invitee.email], level });
    } else {
      // The newest link not tried yet. Mail may arrive out of order: a replaced link is dead (404).
      const links = sink.to(lane.invitee.email).map((m) => /invite#token=([A-Za-z0-9_-]+)/.exec(m.text)?.[1]);
      const token = links.reverse().find((t) => t && !model.triedLinks.has(t));
      if (token) {
        model.triedLinks.add(token);
        const res = await timed('accept', lane.invitee.token, 'POST', '/api/v1/invitations/accept', { token });
        // A first acceptance sets the direct grant to exactly the invited level.
        if (res.status === 200) model.inviteeLevel = res.body.level;
      }
    }
    if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
  }
}

/** Every acknowledged write is in the database: each lane's grants are what its client was told. */
export async function lostWrites(
  models: LaneModel[],
  read: (datasetId: string, userId: string) => Promise<number | null>,
): Promise<string[]> {
  const lost: string[] = [];
  for (const m of models) {
    for (const [who, level] of [
      ['user', m.userLevel],
      ['invitee', m.inviteeLevel],
    ] as const) {
      const stored = await read(m.lane.datasetId, m.lane[who].id);
      const expected = level === null ? null : LEVELS.indexOf(level) + 1;
      if (stored !== expected) lost.push(`lane ${m.lane.index} ${who}: told ${level ?? 'none'}, stored ${stored ?? 'none'}`);
    }
  }
  return lost;
}
