import type { Context } from '../context.js';
import { MAX_RESULTS } from './protocol.js';

/** RFC 7643 §5–7: what this service provider supports, for identity providers to discover. */
export function serviceProviderConfig(ctx: Context) {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
    documentationUri: new URL('api/docs', ctx.publicUrl).toString(),
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: MAX_RESULTS },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: false },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'OAuth Bearer Token',
        description: "A provisioning token made on the organization's page in Tessera (tss_…).",
        primary: true,
      },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: new URL('scim/v2/ServiceProviderConfig', ctx.publicUrl).toString() },
  };
}

export function resourceTypes(ctx: Context) {
  const type = (name: 'User' | 'Group', plural: string) => ({
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'],
    id: name,
    name,
    endpoint: `/${plural}`,
    schema: `urn:ietf:params:scim:schemas:core:2.0:${name}`,
    meta: { resourceType: 'ResourceType', location: new URL(`scim/v2/ResourceTypes/${name}`, ctx.publicUrl).toString() },
  });
  return [type('User', 'Users'), type('Group', 'Groups')];
}

const attribute = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  type: 'string',
  multiValued: false,
  required: false,
  caseExact: false,
  mutability: 'readWrite',
  returned: 'default',
  uniqueness: 'none',
  ...extra,
});

export function schemas(ctx: Context) {
  const schema = (id: string, name: string, attributes: unknown[]) => ({
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:Schema'],
    id,
    name,
    attributes,
    meta: { resourceType: 'Schema', location: new URL(`scim/v2/Schemas/${id}`, ctx.publicUrl).toString() },
  });
  return [
    schema('urn:ietf:params:scim:schemas:core:2.0:User', 'User', [
      attribute('userName', { required: true, uniqueness: 'server', mutability: 'immutable' }),
      attribute('name', {
        type: 'complex',
        subAttributes: [attribute('formatted'), attribute('givenName'), attribute('familyName')],
      }),
      attribute('displayName'),
      attribute('emails', {
        type: 'complex',
        multiValued: true,
        mutability: 'immutable',
        subAttributes: [attribute('value'), attribute('type'), attribute('primary', { type: 'boolean' })],
      }),
      attribute('active', { type: 'boolean' }),
      attribute('externalId', { caseExact: true }),
    ]),
    schema('urn:ietf:params:scim:schemas:core:2.0:Group', 'Group', [
      attribute('displayName', { required: true, uniqueness: 'server' }),
      attribute('members', {
        type: 'complex',
        multiValued: true,
        subAttributes: [attribute('value', { mutability: 'immutable' }), attribute('display', { mutability: 'readOnly' })],
      }),
    ]),
  ];
}
