/**
 * THE AUTHORIZATION MATRIX: every route of the API × every kind of caller → the status it must get.
 * A route in the OpenAPI document without a row here fails the test, so no route ships without its rule.
 *
 * Callers (columns, in order):
 *   anon        no credentials
 *   bearer      a personal access token of an org member holding a direct admin grant on the dataset
 *   outsider    logged in, no relation to the organization
 *   extOn       external accessor (not a member) with a direct read grant; the tier is "external"
 *   extOff      the same, while the tier is "organization": the grant is dormant
 *   member      org member without any grant; the tier is "admins"
 *   read…admin  org members with a direct grant at that level
 *   tRead…tAdmin org members whose only grant comes through a team at that level
 *   otherAdmin  admin of another organization
 *   orgAdmin    admin of the dataset's organization
 *   tokRead     the bearer's user through a token of scope read: GET and HEAD only, at most at read
 *   tokWrite    the same through a token of scope write: at most at write, no sharing, inviting or org administration
 * ("bearer" holds a token of scope admin, the default.)
 * The dataset is private ("admins") unless the caller is extOn/extOff. Only org admins hold the
 * process-datasets permission. Invitation routes act on an invitation to that dataset; "accept"
 * accepts one sent to the caller's own address, which a non-member can accept only while the
 * tier is "external". Link routes act on a share link to that dataset (read, no cap); "redeem"
 * follows the tier rule as accepting does.
 */
export const CALLERS = [
  'anon',
  'bearer',
  'outsider',
  'extOn',
  'extOff',
  'member',
  'read',
  'annotate',
  'write',
  'admin',
  'tRead',
  'tAnnotate',
  'tWrite',
  'tAdmin',
  'otherAdmin',
  'orgAdmin',
  'tokRead',
  'tokWrite',
] as const;
export type Caller = (typeof CALLERS)[number];

//                                                        anon brr  out  extOn extOff mbr  read ann  wri  adm  tRd  tAnn tWri tAdm othr org  tkR  tkW
// biome-ignore format: the table is read by its columns.
export const MATRIX: Record<string, string> = {
  'POST /api/v1/auth/signup':                            '201  201  201  201  201  201  201  201  201  201  201  201  201  201  201  201  403  201',
  'POST /api/v1/auth/login':                             '200  200  200  200  200  200  200  200  200  200  200  200  200  200  200  200  403  200',
  'POST /api/v1/auth/logout':                            '204  204  204  204  204  204  204  204  204  204  204  204  204  204  204  204  403  204',
  'POST /api/v1/auth/password-reset':                    '202  202  202  202  202  202  202  202  202  202  202  202  202  202  202  202  403  202',
  'POST /api/v1/auth/password-reset/confirm':            '204  204  204  204  204  204  204  204  204  204  204  204  204  204  204  204  403  204',
  'GET /api/v1/me':                                      '401  200  200  200  200  200  200  200  200  200  200  200  200  200  200  200  200  200',
  'GET /api/v1/me/tokens':                               '401  200  200  200  200  200  200  200  200  200  200  200  200  200  200  200  200  200',
  'POST /api/v1/me/tokens':                              '401  403  201  201  201  201  201  201  201  201  201  201  201  201  201  201  403  403',
  'POST /api/v1/me/password':                            '401  403  204  204  204  204  204  204  204  204  204  204  204  204  204  204  403  403',
  'GET /api/v1/me/sessions':                             '401  200  200  200  200  200  200  200  200  200  200  200  200  200  200  200  200  200',
  'DELETE /api/v1/me/sessions/{id}':                     '401  204  204  204  204  204  204  204  204  204  204  204  204  204  204  204  403  204',
  'POST /api/v1/auth/verify-email':                      '401  403  204  204  204  204  204  204  204  204  204  204  204  204  204  204  403  403',
  'POST /api/v1/auth/verify-email/resend':               '401  202  202  202  202  202  202  202  202  202  202  202  202  202  202  202  403  202',
  'DELETE /api/v1/me/tokens/{id}':                       '401  204  204  204  204  204  204  204  204  204  204  204  204  204  204  204  403  204',
  // Single sign-on; the matrix server has no provider (OIDC_* unset), and no caller's account is linked.
  'GET /api/v1/auth/providers':                          '200  200  200  200  200  200  200  200  200  200  200  200  200  200  200  200  200  200',
  'GET /api/v1/auth/oidc/start':                         '404  404  404  404  404  404  404  404  404  404  404  404  404  404  404  404  404  404',
  'GET /api/v1/auth/oidc/callback':                      '404  404  404  404  404  404  404  404  404  404  404  404  404  404  404  404  404  404',
  'GET /api/v1/me/sso':                                  '401  200  200  200  200  200  200  200  200  200  200  200  200  200  200  200  200  200',
  'DELETE /api/v1/me/sso':                               '401  403  409  409  409  409  409  409  409  409  409  409  409  409  409  409  403  403',

  'POST /api/v1/orgs':                                   '401  201  201  201  201  201  201  201  201  201  201  201  201  201  201  201  403  201',
  'GET /api/v1/orgs/{orgId}':                            '401  200  404  404  404  200  200  200  200  200  200  200  200  200  404  200  200  200',
  'GET /api/v1/orgs/{orgId}/members':                    '401  200  404  404  404  200  200  200  200  200  200  200  200  200  404  200  200  200',
  'PATCH /api/v1/orgs/{orgId}/members/{userId}':         '401  403  404  404  404  403  403  403  403  403  403  403  403  403  404  200  403  403',
  'DELETE /api/v1/orgs/{orgId}/members/{userId}':        '401  403  404  404  404  403  403  403  403  403  403  403  403  403  404  204  403  403',
  'GET /api/v1/orgs/{orgId}/members/{userId}/removal-preview': '401  403  404  404  404  403  403  403  403  403  403  403  403  403  404  200  403  403',
  'GET /api/v1/orgs/{orgId}/invitations':                '401  403  404  404  404  403  403  403  403  403  403  403  403  403  404  200  403  403',
  'POST /api/v1/orgs/{orgId}/invitations':               '401  403  404  404  404  403  403  403  403  403  403  403  403  403  404  201  403  403',
  'GET /api/v1/orgs/{orgId}/teams':                      '401  200  404  404  404  200  200  200  200  200  200  200  200  200  404  200  200  200',
  'POST /api/v1/orgs/{orgId}/teams':                     '401  403  404  404  404  403  403  403  403  403  403  403  403  403  404  201  403  403',
  'GET /api/v1/teams/{teamId}':                          '401  200  404  404  404  200  200  200  200  200  200  200  200  200  404  200  200  200',
  'PATCH /api/v1/teams/{teamId}':                        '401  403  404  404  404  403  403  403  403  403  403  403  403  403  404  200  403  403',
  'DELETE /api/v1/teams/{teamId}':                       '401  403  404  404  404  403  403  403  403  403  403  403  403  403  404  204  403  403',
  'PUT /api/v1/teams/{teamId}/members/{userId}':         '401  403  404  404  404  403  403  403  403  403  403  403  403  403  404  204  403  403',
  'DELETE /api/v1/teams/{teamId}/members/{userId}':      '401  403  404  404  404  403  403  403  403  403  403  403  403  403  404  204  403  403',
  'GET /api/v1/orgs/{orgId}/audit':                      '401  403  404  404  404  403  403  403  403  403  403  403  403  403  404  200  403  403',
  'GET /api/v1/orgs/{orgId}/audit.csv':                  '401  403  404  404  404  403  403  403  403  403  403  403  403  403  404  200  403  403',
  'GET /api/v1/orgs/{orgId}/scim-tokens':                '401  403  404  404  404  403  403  403  403  403  403  403  403  403  404  200  403  403',
  'POST /api/v1/orgs/{orgId}/scim-tokens':               '401  403  404  404  404  403  403  403  403  403  403  403  403  403  404  201  403  403',
  'DELETE /api/v1/orgs/{orgId}/scim-tokens/{id}':        '401  403  404  404  404  403  403  403  403  403  403  403  403  403  404  204  403  403',
  'GET /api/v1/orgs/{orgId}/access-review':              '401  403  404  404  404  403  403  403  403  403  403  403  403  403  404  200  403  403',
  'GET /api/v1/orgs/{orgId}/undelivered':                '401  403  404  404  404  403  403  403  403  403  403  403  403  403  404  200  403  403',
  'POST /api/v1/orgs/{orgId}/undelivered/{messageId}/retry': '401  403  404  404  404  403  403  403  403  403  403  403  403  403  404  200  403  403',
  'POST /api/v1/orgs/{orgId}/webhooks':                  '401  403  404  404  404  403  403  403  403  403  403  403  403  403  404  201  403  403',
  'GET /api/v1/orgs/{orgId}/webhooks':                   '401  403  404  404  404  403  403  403  403  403  403  403  403  403  404  200  403  403',
  'DELETE /api/v1/webhooks/{id}':                        '401  403  404  404  404  403  403  403  403  403  403  403  403  403  404  204  403  403',
  'POST /api/v1/webhooks/{id}/ping':                     '401  403  404  404  404  403  403  403  403  403  403  403  403  403  404  202  403  403',
  'GET /api/v1/webhooks/{id}/deliveries':                '401  403  404  404  404  403  403  403  403  403  403  403  403  403  404  200  403  403',
  'POST /api/v1/webhooks/{id}/rotate-secret':            '401  403  404  404  404  403  403  403  403  403  403  403  403  403  404  200  403  403',
  'POST /api/v1/orgs/{orgId}/datasets':                  '401  201  404  404  404  201  201  201  201  201  201  201  201  201  404  201  403  201',
  'GET /api/v1/orgs/{orgId}/projects':                   '401  200  404  404  404  200  200  200  200  200  200  200  200  200  404  200  200  200',
  'POST /api/v1/orgs/{orgId}/projects':                  '401  201  404  404  404  201  201  201  201  201  201  201  201  201  404  201  403  201',

  'GET /api/v1/datasets':                                '401  200  200  200  200  200  200  200  200  200  200  200  200  200  200  200  200  200',
  'GET /api/v1/datasets/{id}':                           '401  200  404  200  404  404  200  200  200  200  200  200  200  200  404  200  200  200',
  'PATCH /api/v1/datasets/{id}':                         '401  200  404  403  404  404  403  403  200  200  403  403  200  200  404  200  403  200',
  'DELETE /api/v1/datasets/{id}':                        '401  204  404  403  404  404  403  403  403  204  403  403  403  204  404  204  403  403',
  'GET /api/v1/datasets/{id}/sharing':                   '401  200  404  403  404  404  403  403  403  200  403  403  403  200  404  200  403  403',
  'PUT /api/v1/datasets/{id}/sharing/users/{userId}':    '401  200  404  403  404  404  403  403  403  200  403  403  403  200  404  200  403  403',
  'DELETE /api/v1/datasets/{id}/sharing/users/{userId}': '401  204  404  403  404  404  403  403  403  204  403  403  403  204  404  204  403  403',
  'PUT /api/v1/datasets/{id}/sharing/teams/{teamId}':    '401  200  404  403  404  404  403  403  403  200  403  403  403  200  404  200  403  403',
  'DELETE /api/v1/datasets/{id}/sharing/teams/{teamId}': '401  204  404  403  404  404  403  403  403  204  403  403  403  204  404  204  403  403',
  'POST /api/v1/datasets/{id}/sharing/preview':          '401  200  404  403  404  404  403  403  403  200  403  403  403  200  404  200  403  403',
  'GET /api/v1/datasets/{id}/access/{userId}':           '401  200  404  403  404  404  403  403  403  200  403  403  403  200  404  200  403  403',
  'POST /api/v1/datasets/{id}/invitations':              '401  201  404  403  404  404  403  403  403  201  403  403  403  201  404  201  403  403',
  'POST /api/v1/datasets/{id}/links':                    '401  201  404  403  404  404  403  403  403  201  403  403  403  201  404  201  403  403',
  'GET /api/v1/datasets/{id}/links':                     '401  200  404  403  404  404  403  403  403  200  403  403  403  200  404  200  403  403',
  'GET /api/v1/datasets/{id}/links/{linkId}/redemptions': '401  200  404  403  404  404  403  403  403  200  403  403  403  200  404  200  403  403',
  'GET /api/v1/datasets/{id}/items':                     '401  200  404  200  404  404  200  200  200  200  200  200  200  200  404  200  200  200',
  'POST /api/v1/datasets/{id}/items':                    '401  201  404  403  404  404  403  403  201  201  403  403  201  201  404  201  403  201',
  'GET /api/v1/items/{id}/content':                      '401  200  404  200  404  404  200  200  200  200  200  200  200  200  404  200  200  200',
  'GET /api/v1/datasets/{id}/layers':                    '401  200  404  200  404  404  200  200  200  200  200  200  200  200  404  200  200  200',
  'POST /api/v1/datasets/{id}/layers':                   '401  201  404  403  404  404  403  403  201  201  403  403  201  201  404  201  403  201',
  'GET /api/v1/layers/{id}/annotations':                 '401  200  404  200  404  404  200  200  200  200  200  200  200  200  404  200  200  200',
  'POST /api/v1/layers/{id}/annotations':                '401  201  404  403  404  404  403  201  201  201  403  201  201  201  404  201  403  201',
  'PATCH /api/v1/annotations/{id}':                      '401  200  404  403  404  404  403  200  200  200  403  200  200  200  404  200  403  200',
  'DELETE /api/v1/annotations/{id}':                     '401  204  404  403  404  404  403  204  204  204  403  204  204  204  404  204  403  204',
  'GET /api/v1/datasets/{id}/lineage':                   '401  200  404  200  404  404  200  200  200  200  200  200  200  200  404  200  200  200',
  'GET /api/v1/datasets/{id}/projects':                  '401  200  404  200  404  404  200  200  200  200  200  200  200  200  404  200  200  200',
  'POST /api/v1/datasets/{id}/process':                  '401  403  404  403  404  404  403  403  403  403  403  403  403  403  404  201  403  403',
  'GET /api/v1/jobs/{id}':                               '401  404  404  404  404  404  404  404  404  404  404  404  404  404  404  200  404  404',
  'POST /api/v1/jobs/{id}/cancel':                       '401  404  404  404  404  404  404  404  404  404  404  404  404  404  404  200  403  404',
  'GET /api/v1/projects/{id}':                           '401  200  404  404  404  200  200  200  200  200  200  200  200  200  404  200  200  200',
  'PUT /api/v1/projects/{id}/datasets/{datasetId}':      '401  204  404  404  404  404  204  204  204  204  204  204  204  204  404  204  403  204',
  'DELETE /api/v1/projects/{id}/datasets/{datasetId}':   '401  204  404  404  404  404  204  204  204  204  204  204  204  204  404  204  403  204',

  'GET /api/v1/invitations/lookup':                      '200  200  200  200  200  200  200  200  200  200  200  200  200  200  200  200  200  200',
  'POST /api/v1/invitations/accept':                     '401  200  409  200  409  200  200  200  200  200  200  200  200  200  409  200  403  200',
  'POST /api/v1/invitations/decline':                    '204  204  204  204  204  204  204  204  204  204  204  204  204  204  204  204  403  204',
  'POST /api/v1/invitations/{id}/extend':                '401  200  404  403  404  404  403  403  403  200  403  403  403  200  404  200  403  403',
  'POST /api/v1/invitations/{id}/resend':                '401  200  404  403  404  404  403  403  403  200  403  403  403  200  404  200  403  403',
  'DELETE /api/v1/invitations/{id}':                     '401  204  404  403  404  404  403  403  403  204  403  403  403  204  404  204  403  403',

  'GET /api/v1/links/lookup':                            '200  200  200  200  200  200  200  200  200  200  200  200  200  200  200  200  200  200',
  'POST /api/v1/links/redeem':                           '401  200  409  200  409  200  200  200  200  200  200  200  200  200  409  200  403  200',
  'DELETE /api/v1/links/{id}':                           '401  204  404  403  404  404  403  403  403  204  403  403  403  204  404  204  403  403',
};

export function expectedStatus(route: string, caller: Caller): number | undefined {
  const row = MATRIX[route];
  if (!row) return undefined;
  return Number(row.trim().split(/\s+/)[CALLERS.indexOf(caller)]);
}
