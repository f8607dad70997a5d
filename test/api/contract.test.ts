import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Contract } from '../helpers/contract.js';
import { PUBLIC_URL, startTestServer, type TestServer } from '../helpers/server.js';

type Json = Record<string, any>;

/** API.md 1.1, "The contract document": what the OpenAPI document promises, checked on the document itself. */
describe('the OpenAPI document', () => {
  let server: TestServer;
  let doc: Json;
  const operations: { method: string; path: string; op: Json }[] = [];
  beforeAll(async () => {
    server = await startTestServer({ db: 'sqlite' });
    doc = (await server.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json();
    for (const [path, methods] of Object.entries(doc.paths as Record<string, Json>)) {
      for (const [method, op] of Object.entries(methods)) operations.push({ method, path, op });
    }
  });
  afterAll(async () => {
    await server.close();
  });

  it('is OpenAPI 3.1 with a server, a license and the named schemas', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.servers).toEqual([{ url: PUBLIC_URL, description: expect.any(String) }]);
    expect(doc.info.license.name).toBe('Apache-2.0');
    for (const name of ['User', 'Organization', 'Dataset', 'Invitation', 'Grant', 'Team', 'Item', 'Job', 'AuditEvent', 'Error']) {
      expect(doc.components.schemas[name], name).toBeDefined();
    }
    const dataset = doc.paths['/api/v1/datasets/{id}'].get.responses['200'].content['application/json'].schema;
    expect(dataset).toEqual({ $ref: '#/components/schemas/Dataset' });
    expect(doc.components.schemas.Dataset.properties.myLevel).toEqual({ $ref: '#/components/schemas/Level' });
  });

  it('gives every operation a unique camelCase operationId and a success answer', () => {
    const ids = operations.map((o) => o.op.operationId);
    expect(ids.every((id) => typeof id === 'string' && /^[a-z][A-Za-z]+$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    const redirectsOnly = operations.filter((o) => !Object.keys(o.op.responses).some((s) => s.startsWith('2')));
    expect(redirectsOnly.map((o) => o.op.operationId).sort()).toEqual(['finishSingleSignOn', 'startSingleSignOn']);
  });

  it('marks exactly the public routes security: []', () => {
    const open = operations.filter((o) => Array.isArray(o.op.security) && o.op.security.length === 0).map((o) => o.op.operationId);
    expect(open.sort()).toEqual(
      [
        'confirmPasswordReset',
        'declineInvitation',
        'finishSingleSignOn',
        'listLoginProviders',
        'logIn',
        'logOut',
        'lookUpInvitation',
        'lookUpLink',
        'requestPasswordReset',
        'signUp',
        'startSingleSignOn',
      ].sort(),
    );
    expect(doc.security).toEqual([{ session: [] }, { bearer: [] }]);
  });

  it('declares the statuses every route of a kind can answer, with the Error schema', () => {
    for (const { method, path, op } of operations) {
      const statuses = Object.keys(op.responses);
      const where = `${method} ${path}`;
      expect(statuses, where).toEqual(expect.arrayContaining(['400', '401', '500', '503']));
      if (method !== 'get') expect(statuses, where).toEqual(expect.arrayContaining(['403', '413', '415']));
      if (path.includes('{')) expect(statuses, where).toEqual(expect.arrayContaining(['404', '414']));
      for (const status of statuses.filter((s) => Number(s) >= 400)) {
        const shared = op.responses[status].$ref?.replace('#/components/responses/', '');
        expect(doc.components.responses[shared]?.content['application/json'].schema, `${where} ${status}`).toEqual({
          $ref: '#/components/schemas/Error',
        });
      }
      for (const status of ['204', '302']) {
        if (op.responses[status]) expect(op.responses[status].content, `${where} ${status}`).toBeUndefined();
      }
    }
    expect(Object.keys(doc.paths['/api/v1/auth/login'].post.responses)).toContain('429');
  });

  it('describes uploads as multipart and files as bytes, not JSON', () => {
    const upload = doc.paths['/api/v1/datasets/{id}/items'].post;
    expect(Object.keys(upload.requestBody.content)).toEqual(['multipart/form-data']);
    expect(upload.requestBody.content['multipart/form-data'].schema.properties.files.items).toEqual({ type: 'string', format: 'binary' });
    expect(Object.keys(upload.responses)).toEqual(expect.arrayContaining(['413', '415', '507']));
    const content = doc.paths['/api/v1/items/{id}/content'].get.responses;
    expect(Object.keys(content['200'].content)).toEqual(['*/*']);
    expect(Object.keys(content['206'].content)).toEqual(['*/*']);
    expect(Object.keys(doc.paths['/api/v1/orgs/{orgId}/audit.csv'].get.responses['200'].content)).toEqual(['text/csv']);
  });

  it('states the real password rule, and patterns that mean the same with and without the u flag', () => {
    const signUp = doc.paths['/api/v1/auth/signup'].post.requestBody.content['application/json'].schema;
    expect(signUp.properties.password.minLength).toBe(10);
    const patterns: string[] = [];
    const visit = (node: unknown) => {
      if (node === null || typeof node !== 'object') return;
      const pattern = (node as Json).pattern;
      if (typeof pattern === 'string') patterns.push(pattern);
      for (const value of Object.values(node as Json)) visit(value);
    };
    visit(doc);
    expect(patterns.length).toBeGreaterThan(0);
    // Readers of the document compile patterns with or without the u flag: both must work, alike.
    const samples = ['plain', 'ds_1-x', 'é 漢 😀', 'lone \uD800 half', '\uDC00', ''];
    for (const pattern of patterns) {
      const [flagged, plain] = [new RegExp(pattern, 'u'), new RegExp(pattern)];
      for (const sample of samples) expect(plain.test(sample), `${pattern} on ${JSON.stringify(sample)}`).toBe(flagged.test(sample));
    }
  });

  it('is what the contract check of the tests holds answers to: drift is caught', () => {
    const contract = new Contract(doc);
    const answer = (statusCode: number, payload: string, type = 'application/json; charset=utf-8') =>
      ({ statusCode, payload, headers: { 'content-type': type } }) as unknown as LightMyRequestResponse;
    const error = JSON.stringify({ error: { code: 'not_found', message: 'No such dataset.' } });
    expect(contract.check('GET', '/api/v1/datasets/ds_1', answer(404, error))).toBeNull();
    expect(contract.check('GET', '/api/v1/datasets/ds_1', answer(409, error))).toMatch(/does not declare/);
    expect(contract.check('GET', '/api/v1/datasets/ds_1', answer(200, '{"id":"ds_1"}'))).toMatch(/does not match/);
    expect(contract.check('DELETE', '/api/v1/datasets/ds_1', answer(204, ''))).toBeNull();
    expect(contract.check('DELETE', '/api/v1/datasets/ds_1', answer(204, '{}'))).toMatch(/declares none/);
    expect(contract.check('GET', '/api/v1/invitations/lookup?token=x', answer(404, error))).toBeNull();
    expect(contract.check('GET', '/api/v1/datasets/ds_1', answer(404, error, 'text/html'))).toMatch(/declares JSON/);
  });
});
