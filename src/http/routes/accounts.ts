import { Type } from 'typebox';
import {
  changePassword,
  confirmPasswordReset,
  logIn,
  requestPasswordReset,
  signUp,
  signUpWithInvitation,
} from '../../accounts/accounts.js';
import { authEvent } from '../../accounts/events.js';
import { endSession, endSessionById, listSessions } from '../../accounts/sessions.js';
import { resendVerification, verifyEmail } from '../../accounts/verification.js';
import { iso } from '../../clock.js';
import type { Context } from '../../context.js';
import { listMyOrgs } from '../../orgs/orgs.js';
import { callerOf, clearSessionCookie, requireActor, requireSessionUser, requireUser, setSessionCookie } from '../auth.js';
import { Email, errors, Id, Name, NewPassword, NoContent, OrgActionSchema, Password, RoleSchema, Time, UserSchema } from '../schemas.js';
import type { TypedApp } from '../server.js';
import { tokenRoutes } from './tokens.js';

const tags = ['accounts'];
const LinkToken = Type.String({ minLength: 1, maxLength: 256 });

export function accountRoutes(app: TypedApp, ctx: Context): void {
  app.post(
    '/auth/signup',
    {
      schema: {
        operationId: 'signUp',
        tags,
        summary: 'Create an account (optionally from an invitation link) and log in',
        security: [],
        description:
          'The account starts unverified and a verification link is mailed, unless it is made from an invitation link for the same address. 400 `weak_password` for a guessable password; 403 `signup_closed` when SIGNUP does not allow it.',
        body: Type.Object({ email: Email, password: NewPassword, name: Name, inviteToken: Type.Optional(Type.String({ maxLength: 256 })) }),
        response: { 201: Type.Object({ user: UserSchema }), ...errors(400, 403, 404, 409, 410, 429) },
      },
    },
    async (request, reply) => {
      const { inviteToken, ...input } = request.body;
      const { user, session } =
        inviteToken === undefined
          ? await signUp(ctx, { ...input, invited: false }, callerOf(request))
          : await signUpWithInvitation(ctx, input, inviteToken, callerOf(request));
      setSessionCookie(ctx, reply, session.token);
      return reply.code(201).send({ user });
    },
  );

  app.post(
    '/auth/login',
    {
      schema: {
        operationId: 'logIn',
        tags,
        summary: 'Log in with e-mail and password',
        security: [],
        body: Type.Object({ email: Type.String({ maxLength: 254 }), password: Password }),
        response: { 200: Type.Object({ user: UserSchema }), ...errors(400, 401, 429) },
      },
    },
    async (request, reply) => {
      const { user, session } = await logIn(ctx, request.body, callerOf(request));
      setSessionCookie(ctx, reply, session.token);
      return reply.send({ user });
    },
  );

  app.post(
    '/auth/logout',
    {
      schema: { operationId: 'logOut', tags, summary: 'End this session on every instance', security: [], response: { 204: NoContent } },
    },
    async (request, reply) => {
      if (request.sessionToken) {
        await endSession(ctx, request.sessionToken);
        authEvent(ctx, 'logout', { userId: request.user?.id ?? null, outcome: 'ok', ip: request.ip });
      }
      clearSessionCookie(ctx, reply);
      return reply.code(204).send();
    },
  );

  app.post(
    '/auth/verify-email',
    {
      schema: {
        operationId: 'verifyEmail',
        tags,
        summary: "Confirm the account's e-mail address with the mailed link",
        description:
          'Only for the logged-in owner of the account the link was sent for (401 without a session; 401 `verification_wrong_account`, the link staying unused, with the session of another account). A bearer token is 403.',
        body: Type.Object({ token: LinkToken }),
        response: { 204: NoContent, ...errors(400, 401, 403, 410) },
      },
    },
    async (request, reply) => {
      const user = requireSessionUser(request);
      await verifyEmail(ctx, user, request.body.token, request.ip);
      return reply.code(204).send();
    },
  );

  app.post(
    '/auth/verify-email/resend',
    {
      schema: {
        operationId: 'resendVerification',
        tags,
        summary: 'Mail a new verification link; older unused links die',
        response: { 202: NoContent, ...errors(401, 429) },
      },
    },
    async (request, reply) => {
      const user = requireUser(request);
      await resendVerification(ctx, user, request.ip);
      return reply.code(202).send();
    },
  );

  app.post(
    '/auth/password-reset',
    {
      schema: {
        operationId: 'requestPasswordReset',
        tags,
        summary: 'Mail a single-use password reset link (always 202)',
        security: [],
        body: Type.Object({ email: Type.String({ maxLength: 254 }) }),
        response: { 202: NoContent, ...errors(400, 429) },
      },
    },
    async (request, reply) => {
      await requestPasswordReset(ctx, request.body.email, callerOf(request));
      return reply.code(202).send();
    },
  );

  app.post(
    '/auth/password-reset/confirm',
    {
      schema: {
        operationId: 'confirmPasswordReset',
        tags,
        summary: 'Set a new password with a reset link; verifies the address and ends every session and token',
        security: [],
        body: Type.Object({ token: LinkToken, password: NewPassword }),
        response: { 204: NoContent, ...errors(400, 410) },
      },
    },
    async (request, reply) => {
      await confirmPasswordReset(ctx, request.body.token, request.body.password, callerOf(request));
      return reply.code(204).send();
    },
  );

  app.get(
    '/me',
    {
      schema: {
        operationId: 'getMe',
        tags,
        summary: 'The current user and their organizations',
        response: {
          200: Type.Object({
            user: UserSchema,
            organizations: Type.Array(
              Type.Object({
                id: Type.String(),
                name: Type.String(),
                role: RoleSchema,
                processDatasets: Type.Boolean(),
                allowedActions: Type.Array(OrgActionSchema),
              }),
            ),
          }),
          ...errors(401),
        },
      },
    },
    async (request) => {
      const user = requireUser(request);
      return { user, organizations: await listMyOrgs(ctx, requireActor(request)) };
    },
  );

  app.post(
    '/me/password',
    {
      schema: {
        operationId: 'changePassword',
        tags,
        summary: 'Change the password; every other session ends',
        body: Type.Object({ currentPassword: Password, newPassword: NewPassword }),
        response: { 204: NoContent, ...errors(400, 401, 403, 429) },
      },
    },
    async (request, reply) => {
      const user = requireSessionUser(request);
      await changePassword(ctx, user, request.sessionId, request.body, callerOf(request));
      return reply.code(204).send();
    },
  );

  const SessionInfo = Type.Object(
    {
      id: Type.String(),
      createdAt: Time,
      lastUsedAt: Type.Union([Time, Type.Null()]),
      userAgent: Type.Union([Type.String(), Type.Null()]),
      current: Type.Boolean(),
    },
    { title: 'Session' },
  );

  app.get(
    '/me/sessions',
    {
      schema: {
        operationId: 'listSessions',
        tags,
        summary: 'My logged-in sessions',
        response: { 200: Type.Object({ items: Type.Array(SessionInfo), nextCursor: Type.Null() }), ...errors(401) },
      },
    },
    async (request) => {
      const user = requireUser(request);
      const sessions = await listSessions(ctx, user.id);
      return {
        items: sessions.map((s) => ({
          id: s.id,
          createdAt: iso(s.createdAt),
          lastUsedAt: iso(s.lastUsedAt),
          userAgent: s.userAgent,
          current: s.id === request.sessionId,
        })),
        nextCursor: null,
      };
    },
  );

  app.delete(
    '/me/sessions/:id',
    {
      schema: {
        operationId: 'endSession',
        tags,
        summary: 'End one of my sessions; it is refused from its next request on',
        params: Type.Object({ id: Id }),
        response: { 204: NoContent, ...errors(401, 403, 404) },
      },
    },
    async (request, reply) => {
      const user = requireUser(request);
      await endSessionById(ctx, user.id, request.params.id);
      authEvent(ctx, 'session.ended', { userId: user.id, outcome: 'ok', ip: request.ip, sessionId: request.params.id });
      return reply.code(204).send();
    },
  );

  tokenRoutes(app, ctx);
}
