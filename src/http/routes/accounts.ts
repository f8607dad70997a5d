import { Type } from 'typebox';
import {
  confirmPasswordReset,
  createAccessToken,
  deleteAccessToken,
  listAccessTokens,
  logIn,
  requestPasswordReset,
  signUp,
} from '../../accounts/accounts.js';
import { endSession } from '../../accounts/sessions.js';
import { normalizeEmail } from '../../accounts/validation.js';
import { iso } from '../../clock.js';
import type { Context } from '../../context.js';
import { acceptInvitation, assertRedeemableBy } from '../../invitations/redeem.js';
import { listMyOrgs } from '../../orgs/orgs.js';
import { clearSessionCookie, requireUser, setSessionCookie } from '../auth.js';
import { Email, errors, Id, Name, NoContent, Password, RoleSchema, UserSchema } from '../schemas.js';
import type { TypedApp } from '../server.js';

const tags = ['accounts'];

export function accountRoutes(app: TypedApp, ctx: Context): void {
  app.post(
    '/auth/signup',
    {
      schema: {
        tags,
        summary: 'Create an account (optionally from an invitation link) and log in',
        body: Type.Object({ email: Email, password: Password, name: Name, inviteToken: Type.Optional(Type.String({ maxLength: 256 })) }),
        response: { 201: Type.Object({ user: UserSchema }), ...errors(400, 403, 404, 409, 410) },
      },
    },
    async (request, reply) => {
      const { inviteToken, ...input } = request.body;
      if (inviteToken !== undefined) await assertRedeemableBy(ctx, inviteToken, normalizeEmail(input.email));
      const { user, session } = await signUp(ctx, input);
      if (inviteToken !== undefined) await acceptInvitation(ctx, user, inviteToken);
      setSessionCookie(ctx, reply, session.token);
      return reply.code(201).send({ user });
    },
  );

  app.post(
    '/auth/login',
    {
      schema: {
        tags,
        summary: 'Log in with e-mail and password',
        body: Type.Object({ email: Type.String({ maxLength: 254 }), password: Password }),
        response: { 200: Type.Object({ user: UserSchema }), ...errors(400, 401, 429) },
      },
    },
    async (request, reply) => {
      const { user, session } = await logIn(ctx, request.body);
      setSessionCookie(ctx, reply, session.token);
      return reply.send({ user });
    },
  );

  app.post(
    '/auth/logout',
    {
      schema: { tags, summary: 'End this session on every instance', response: { 204: NoContent } },
    },
    async (request, reply) => {
      if (request.sessionToken) await endSession(ctx, request.sessionToken);
      clearSessionCookie(ctx, reply);
      return reply.code(204).send();
    },
  );

  app.post(
    '/auth/password-reset',
    {
      schema: {
        tags,
        summary: 'Mail a single-use password reset link (always 202)',
        body: Type.Object({ email: Type.String({ maxLength: 254 }) }),
        response: { 202: NoContent, ...errors(400) },
      },
    },
    async (request, reply) => {
      await requestPasswordReset(ctx, request.body.email);
      return reply.code(202).send();
    },
  );

  app.post(
    '/auth/password-reset/confirm',
    {
      schema: {
        tags,
        summary: 'Set a new password with a reset link; ends every session',
        body: Type.Object({ token: Type.String({ minLength: 1, maxLength: 256 }), password: Password }),
        response: { 204: NoContent, ...errors(400, 410) },
      },
    },
    async (request, reply) => {
      await confirmPasswordReset(ctx, request.body.token, request.body.password);
      return reply.code(204).send();
    },
  );

  app.get(
    '/me',
    {
      schema: {
        tags,
        summary: 'The current user and their organizations',
        response: {
          200: Type.Object({
            user: UserSchema,
            organizations: Type.Array(
              Type.Object({ id: Type.String(), name: Type.String(), role: RoleSchema, processDatasets: Type.Boolean() }),
            ),
          }),
          ...errors(401),
        },
      },
    },
    async (request) => {
      const user = requireUser(request);
      return { user, organizations: await listMyOrgs(ctx, user.id) };
    },
  );

  const TokenInfo = Type.Object({
    id: Type.String(),
    name: Type.String(),
    createdAt: Type.String(),
    lastUsedAt: Type.Union([Type.String(), Type.Null()]),
  });

  app.get(
    '/me/tokens',
    {
      schema: {
        tags,
        summary: 'My personal access tokens (never their secrets)',
        response: { 200: Type.Object({ items: Type.Array(TokenInfo), nextCursor: Type.Null() }), ...errors(401) },
      },
    },
    async (request) => {
      const user = requireUser(request);
      const tokens = await listAccessTokens(ctx, user.id);
      return {
        items: tokens.map((t) => ({ id: t.id, name: t.name, createdAt: iso(t.createdAt), lastUsedAt: iso(t.lastUsedAt) })),
        nextCursor: null,
      };
    },
  );

  app.post(
    '/me/tokens',
    {
      schema: {
        tags,
        summary: 'Create a personal access token; the token is shown this once',
        body: Type.Object({ name: Name }),
        response: { 201: Type.Object({ id: Type.String(), name: Type.String(), token: Type.String() }), ...errors(400, 401) },
      },
    },
    async (request, reply) => {
      const user = requireUser(request);
      const created = await createAccessToken(ctx, user.id, request.body.name);
      return reply.code(201).send({ id: created.id, name: created.name, token: created.token });
    },
  );

  app.delete(
    '/me/tokens/:id',
    {
      schema: {
        tags,
        summary: 'Revoke a personal access token',
        params: Type.Object({ id: Id }),
        response: { 204: NoContent, ...errors(401, 404) },
      },
    },
    async (request, reply) => {
      const user = requireUser(request);
      await deleteAccessToken(ctx, user.id, request.params.id);
      return reply.code(204).send();
    },
  );
}
