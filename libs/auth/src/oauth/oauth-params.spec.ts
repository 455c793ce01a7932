import { describe, expect, it } from 'vitest';
import { OAuthError } from '../auth.errors.js';
import { OAuthParams } from './oauth-params.js';

const FORM = 'application/x-www-form-urlencoded';

describe('OAuthParams', () => {
  it('reads single form parameters and treats empty ones as absent', () => {
    const params = OAuthParams.from(`${FORM}; charset=utf-8`, { grant_type: 'password', scope: '' });
    expect(params.get('grant_type')).toBe('password');
    expect(params.get('scope')).toBeUndefined();
  });

  it.each([
    ['application/json', { grant_type: 'password' }],
    [undefined, { grant_type: 'password' }],
    [FORM, { grant_type: ['password', 'client_credentials'] }],
    [FORM, { grant_type: { nested: true } }],
  ])('refuses content type %s with body %j as invalid_request', (contentType, body) => {
    try {
      OAuthParams.from(contentType, body);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(OAuthError);
      expect((error as OAuthError).oauthCode).toBe('invalid_request');
    }
  });

  it('never echoes an odd parameter name', () => {
    try {
      OAuthParams.from(FORM, { '<script>': ['a', 'b'] });
    } catch (error) {
      expect((error as OAuthError).detail).not.toContain('<script>');
    }
  });

  it('require() names a missing parameter', () => {
    expect(() => OAuthParams.from(FORM, {}).require('token')).toThrow('Missing parameter token.');
  });
});
