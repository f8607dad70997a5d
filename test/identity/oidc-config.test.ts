import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

const PROVIDER = { OIDC_ISSUER: 'https://id.example.com/realms/acme', OIDC_CLIENT_ID: 'tessera', OIDC_CLIENT_SECRET: 's3cret' };

describe('OIDC_* configuration', () => {
  it('is off when unset', () => {
    expect(loadConfig({}).oidc).toBeNull();
  });

  it('reads the provider, its name and OIDC_ONLY', () => {
    const { oidc } = loadConfig({ ...PROVIDER, OIDC_NAME: 'Acme ID', OIDC_ONLY: 'true' });
    expect(oidc).toEqual({
      issuer: new URL('https://id.example.com/realms/acme'),
      clientId: 'tessera',
      clientSecret: 's3cret',
      name: 'Acme ID',
      only: true,
    });
    expect(loadConfig(PROVIDER).oidc).toMatchObject({ name: 'single sign-on', only: false });
  });

  it.each([
    [{ OIDC_ISSUER: PROVIDER.OIDC_ISSUER }, /must be set together/],
    [{ ...PROVIDER, OIDC_CLIENT_SECRET: '' }, /must be set together/],
    [{ ...PROVIDER, OIDC_ISSUER: 'id.example.com' }, /OIDC_ISSUER must be an absolute URL/],
    [{ ...PROVIDER, OIDC_ISSUER: 'ftp://id.example.com' }, /OIDC_ISSUER must be an https/],
    [{ ...PROVIDER, OIDC_ISSUER: 'https://id.example.com/?x=1' }, /query or a fragment/],
    [{ ...PROVIDER, OIDC_ONLY: 'yes' }, /OIDC_ONLY must be true or false/],
    [{ OIDC_ONLY: 'true' }, /OIDC_ONLY=true needs/],
    [{ ...PROVIDER, OIDC_NAME: 'x'.repeat(61) }, /OIDC_NAME must be at most 60/],
  ])('refuses %j', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });
});
