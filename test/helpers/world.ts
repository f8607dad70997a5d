import fs from 'node:fs';
import path from 'node:path';
import { type Actor, signUp } from './client.js';
import type { TestServer } from './server.js';

type Level = 'read' | 'annotate' | 'write' | 'admin';
type Tier = 'external' | 'organization' | 'admins';

/**
 * Builds a world over the public API, so tests read like the product:
 *   const w = await world(server).org('acme').member('ann').team('labelers', ['ann']).dataset('cams', { tier: 'admins' }).build();
 * Each call makes its own org and users, so tests never depend on each other's data.
 */
export function world(server: TestServer) {
  const app = server.app;
  const steps: ((w: World) => Promise<void>)[] = [];
  const builder = {
    org(name: string, adminName = `${name}-admin`) {
      steps.push(async (w) => {
        const admin = await signUp(app, adminName);
        await verifyEmail(server, admin);
        const org = await admin.post('/api/v1/orgs', { name });
        w.users[adminName] = admin;
        w.orgs[name] = { id: org.body.id, admin };
        w.currentOrg = name;
      });
      return builder;
    },
    member(name: string, role: 'admin' | 'member' = 'member') {
      steps.push(async (w) => {
        const org = w.orgs[w.currentOrg]!;
        const user = w.users[name] ?? (await signUp(app, name));
        w.users[name] = user;
        await joinOrg(server, org.admin, org.id, user, role);
      });
      return builder;
    },
    outsider(name: string) {
      steps.push(async (w) => {
        w.users[name] = await signUp(app, name);
        await verifyEmail(server, w.users[name]!);
      });
      return builder;
    },
    team(name: string, members: string[] = []) {
      steps.push(async (w) => {
        const org = w.orgs[w.currentOrg]!;
        const team = await org.admin.post(`/api/v1/orgs/${org.id}/teams`, { name });
        w.teams[name] = team.body.id;
        for (const m of members) await org.admin.put(`/api/v1/teams/${team.body.id}/members/${w.users[m]!.id}`);
      });
      return builder;
    },
    dataset(name: string, options: { tier?: Tier; by?: string } = {}) {
      steps.push(async (w) => {
        const org = w.orgs[w.currentOrg]!;
        const creator = options.by ? w.users[options.by]! : org.admin;
        const res = await creator.post(`/api/v1/orgs/${org.id}/datasets`, { name, visibility: options.tier ?? 'admins' });
        if (res.status !== 201) throw new Error(`dataset: ${res.status} ${JSON.stringify(res.body)}`);
        w.datasets[name] = res.body.id;
      });
      return builder;
    },
    grant(dataset: string, user: string, level: Level) {
      steps.push(async (w) => {
        const org = w.orgs[w.currentOrg]!;
        const res = await org.admin.put(`/api/v1/datasets/${w.datasets[dataset]}/sharing/users/${w.users[user]!.id}`, { level });
        if (res.status !== 200) throw new Error(`grant: ${res.status} ${JSON.stringify(res.body)}`);
      });
      return builder;
    },
    teamGrant(dataset: string, team: string, level: Level) {
      steps.push(async (w) => {
        const org = w.orgs[w.currentOrg]!;
        const res = await org.admin.put(`/api/v1/datasets/${w.datasets[dataset]}/sharing/teams/${w.teams[team]}`, { level });
        if (res.status !== 200) throw new Error(`team grant: ${res.status} ${JSON.stringify(res.body)}`);
      });
      return builder;
    },
    async build(): Promise<World> {
      const w: World = { orgs: {}, users: {}, teams: {}, datasets: {}, currentOrg: '' };
      for (const step of steps) await step(w);
      return w;
    },
  };
  return builder;
}

export interface World {
  orgs: Record<string, { id: string; admin: Actor }>;
  users: Record<string, Actor>;
  teams: Record<string, string>;
  datasets: Record<string, string>;
  currentOrg: string;
}

/** Confirms an account's address the way its owner does: the mailed link, opened while logged in. */
export async function verifyEmail(server: TestServer, actor: Actor): Promise<void> {
  const token = await mailedToken(server, actor.user.email, 'verify');
  const res = await actor.post('/api/v1/auth/verify-email', { token });
  if (res.status !== 204) throw new Error(`verify: ${res.status} ${JSON.stringify(res.body)}`);
  actor.user.emailVerified = true;
}

/** A verified account's new personal access token (admin scope unless said otherwise). */
export async function mintToken(server: TestServer, actor: Actor, body: Record<string, unknown> = {}): Promise<string> {
  if (!actor.user.emailVerified) await verifyEmail(server, actor);
  const res = await actor.post('/api/v1/me/tokens', { name: 'script', ...body });
  if (res.status !== 201) throw new Error(`token: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.token as string;
}

/** The mails to `email` in the dev outbox, oldest first, quoted-printable undone. */
function outboxTexts(server: TestServer, email: string): string[] {
  const dir = path.join(server.dataDir, 'outbox');
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .sort((a, b) => fs.statSync(path.join(dir, a)).mtimeMs - fs.statSync(path.join(dir, b)).mtimeMs || a.localeCompare(b))
    .map((file) =>
      fs
        .readFileSync(path.join(dir, file), 'utf8')
        .replace(/=\r?\n/g, '')
        .replace(/=3D/g, '='),
    )
    .filter((text) => text.includes(`To: ${email}`));
}

/** The secret of the newest link of `kind` mailed to `email` (memory mailer or SMTP sink). */
export async function mailedToken(server: TestServer, email: string, kind: 'invite' | 'reset' | 'verify' = 'invite'): Promise<string> {
  await server.ctx.delivery.drain();
  const texts = server.smtp
    ? server.smtp.to(email).map((m: { text: string }) => m.text)
    : server.mailer
      ? server.mailer.sent.filter((m) => m.to === email).map((m) => m.text)
      : outboxTexts(server, email);
  const last = texts.filter((text) => text.includes(`/${kind}#token=`)).at(-1);
  const match = last ? new RegExp(`/${kind}#token=([A-Za-z0-9_-]+)`).exec(last) : null;
  if (!match) throw new Error(`No ${kind} link mailed to ${email}`);
  return match[1]!;
}

/** Adds a user to an org through the real invitation flow: invite by e-mail, then accept. */
export async function joinOrg(
  server: TestServer,
  admin: Actor,
  orgId: string,
  user: Actor,
  role: 'admin' | 'member' = 'member',
): Promise<void> {
  const res = await admin.post(`/api/v1/orgs/${orgId}/invitations`, { emails: [user.user.email], role });
  if (res.status !== 201) throw new Error(`org invite: ${res.status} ${JSON.stringify(res.body)}`);
  const token = await mailedToken(server, user.user.email);
  const accepted = await user.post('/api/v1/invitations/accept', { token });
  if (accepted.status !== 200) throw new Error(`org accept: ${accepted.status} ${JSON.stringify(accepted.body)}`);
  // Accepting a link sent to the address proves it.
  user.user.emailVerified = true;
}
