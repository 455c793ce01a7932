import { SigningKeysService } from '@orderops/auth';
import jwt from 'jsonwebtoken';
import { createPublicKey, generateKeyPairSync, randomUUID, type JsonWebKey } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  bearer,
  createOperator,
  decodeJwt,
  passwordGrant,
  postForm,
  TEST_ADMIN_PASSWORD,
  TEST_OPERATOR_PASSWORD,
  tokenFor,
  type TokenBody,
} from '../support/auth.js';
import { useTestApp } from '../support/use-test-app.js';

const b64 = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('bearer token verification', () => {
  const t = useTestApp({
    env: { STRICT_RATE_LIMIT_PER_MINUTE: '10000' },
    operators: { 'ops-one': ['orders:read', 'admin'] },
    signIn: [],
  });
  let admin: TokenBody;
  let operatorId: string;
  beforeAll(() => {
    admin = t.grant('admin');
    operatorId = t.operator('ops-one').id;
  });

  const adminCall = (token: string) =>
    t.app.inject({ method: 'GET', url: '/admin/signing-keys', headers: bearer(token) });

  /** Claims the server would issue for the bootstrap admin right now. */
  const validClaims = (): Record<string, unknown> => {
    const { payload } = decodeJwt(admin.access_token);
    const now = Math.floor(Date.now() / 1000);
    return { ...payload, jti: randomUUID(), iat: now, exp: now + 300 };
  };

  /** Signs with the server's real current key, so only the property under test is wrong. */
  const signWithServerKey = (
    claims: Record<string, unknown>,
    header: Record<string, unknown> = {},
  ): string => {
    const { kid, privateKey } = t.app.get(SigningKeysService).currentSigner();
    return jwt.sign(claims, privateKey, {
      algorithm: 'ES256',
      header: { alg: 'ES256', typ: 'at+jwt', kid, ...header },
    });
  };

  const expectInvalidToken = async (token: string) => {
    const res = await adminCall(token);
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toContain('error="invalid_token"');
    expect(res.headers['content-type']).toContain('application/problem+json');
  };

  it('accepts a token forged by nobody: the control case', async () => {
    expect((await adminCall(signWithServerKey(validClaims()))).statusCode).toBe(200);
  });

  it('answers a missing token with 401 and a bare Bearer challenge', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/admin/signing-keys' });
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="orderops"');
  });

  it.each(['none', 'None', 'NONE'])('refuses alg=%s', async (alg) => {
    const { header } = decodeJwt(admin.access_token);
    await expectInvalidToken(`${b64({ ...header, alg })}.${b64(validClaims())}.`);
  });

  it('refuses HS256 signed with the public key as the HMAC secret', async () => {
    const { header } = decodeJwt(admin.access_token);
    const jwks = (await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json<{
      keys: (JsonWebKey & { kid: string })[];
    }>();
    const jwk = jwks.keys.find((k) => k.kid === header.kid)!;
    const pem = createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
    const forged = jwt.sign(validClaims(), pem, {
      algorithm: 'HS256',
      header: { alg: 'HS256', typ: 'at+jwt', kid: header.kid as string },
    });
    await expectInvalidToken(forged);
  });

  it('refuses an edited payload', async () => {
    const [h, , s] = admin.access_token.split('.');
    const edited = { ...decodeJwt(admin.access_token).payload, scope: 'admin pii:reveal pii:erase' };
    await expectInvalidToken(`${h}.${b64(edited)}.${s}`);
  });

  it('refuses a token signed by a key that is not ours (same kid)', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const { kid } = t.app.get(SigningKeysService).currentSigner();
    const forged = jwt.sign(validClaims(), privateKey, {
      algorithm: 'ES256',
      header: { alg: 'ES256', typ: 'at+jwt', kid },
    });
    await expectInvalidToken(forged);
  });

  it.each([
    ['JWT', { typ: 'JWT' }],
    ['missing', { typ: undefined }],
  ])('refuses typ %s', async (_, header) => {
    await expectInvalidToken(signWithServerKey(validClaims(), header));
  });

  it('accepts typ application/at+jwt (RFC 9068 allows the long form)', async () => {
    expect(
      (await adminCall(signWithServerKey(validClaims(), { typ: 'application/at+jwt' }))).statusCode,
    ).toBe(200);
  });

  it.each([
    ['iss', { iss: 'https://evil.example' }],
    ['aud', { aud: 'https://other-api.example' }],
  ])('refuses a wrong %s', async (_, override) => {
    await expectInvalidToken(signWithServerKey({ ...validClaims(), ...override }));
  });

  it('refuses an expired token beyond the 30 s leeway, and accepts one within it', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectInvalidToken(signWithServerKey({ ...validClaims(), iat: now - 700, exp: now - 60 }));
    expect(
      (await adminCall(signWithServerKey({ ...validClaims(), iat: now - 610, exp: now - 10 }))).statusCode,
    ).toBe(200);
  });

  it('refuses a token not valid before a time more than 30 s ahead', async () => {
    await expectInvalidToken(
      signWithServerKey({ ...validClaims(), nbf: Math.floor(Date.now() / 1000) + 120 }),
    );
  });

  it('refuses an unknown kid', async () => {
    await expectInvalidToken(signWithServerKey(validClaims(), { kid: 'no-such-key-id' }));
  });

  it.each(['jku', 'x5u', 'jwk', 'x5c'])(
    'refuses a token carrying a %s header, even when correctly signed',
    async (name) => {
      const value = name === 'jwk' ? { kty: 'EC' } : name === 'x5c' ? ['MIIB'] : 'https://evil.example/keys';
      await expectInvalidToken(signWithServerKey(validClaims(), { [name]: value }));
    },
  );

  it('refuses a token missing a required claim', async () => {
    const claims = validClaims();
    delete claims.jti;
    await expectInvalidToken(signWithServerKey(claims));
  });

  it('refuses a revoked access token', async () => {
    const token = (await tokenFor(t.app, 'admin', TEST_ADMIN_PASSWORD)).access_token;
    expect((await adminCall(token)).statusCode).toBe(200);
    const revoke = await postForm(t.app, '/oauth/revoke', { token, client_id: 'orderops-web' });
    expect(revoke.statusCode).toBe(200);
    await expectInvalidToken(token);
  });

  it('refuses tokens of a disabled operator, and of an operator whose password changed', async () => {
    const before = (await tokenFor(t.app, 'ops-one', TEST_OPERATOR_PASSWORD)).access_token;
    expect((await adminCall(before)).statusCode).toBe(200);

    const changed = await t.app.inject({
      method: 'PATCH',
      url: `/admin/operators/${operatorId}`,
      headers: bearer(admin.access_token),
      payload: { password: 'a-brand-new-passphrase-42' },
    });
    expect(changed.statusCode).toBe(200);
    await expectInvalidToken(before);
    expect((await passwordGrant(t.app, 'ops-one', TEST_OPERATOR_PASSWORD)).statusCode).toBe(400);
    const after = (await tokenFor(t.app, 'ops-one', 'a-brand-new-passphrase-42')).access_token;
    expect((await adminCall(after)).statusCode).toBe(200);

    const disabled = await t.app.inject({
      method: 'PATCH',
      url: `/admin/operators/${operatorId}`,
      headers: bearer(admin.access_token),
      payload: { disabled: true },
    });
    expect(disabled.json()).toMatchObject({ disabled: true });
    await expectInvalidToken(after);
    expect((await passwordGrant(t.app, 'ops-one', 'a-brand-new-passphrase-42')).json()).toMatchObject({
      error: 'invalid_grant',
    });
  });

  it('refuses a token in the query string, even a valid one', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: `/admin/signing-keys?access_token=${admin.access_token}`,
    });
    expect(res.statusCode).toBe(400);
    expect(res.headers['www-authenticate']).toContain('error="invalid_request"');
    expect(res.body).not.toContain(admin.access_token);
  });

  it('refuses other authorization schemes', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: '/admin/signing-keys',
      headers: { authorization: `Token ${admin.access_token}` },
    });
    expect(res.statusCode).toBe(401);
  });

  describe('once a token passed verification (its signature check is remembered)', () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    /** A fresh token, used twice so that the second call is served from the remembered check. */
    const verifiedToken = async (): Promise<string> => {
      const token = (await tokenFor(t.app, 'admin', TEST_ADMIN_PASSWORD)).access_token;
      expect((await adminCall(token)).statusCode).toBe(200);
      expect((await adminCall(token)).statusCode).toBe(200);
      return token;
    };

    it('refuses it on the very next request after it is revoked', async () => {
      const token = await verifiedToken();
      expect((await postForm(t.app, '/oauth/revoke', { token, client_id: 'orderops-web' })).statusCode).toBe(
        200,
      );
      await expectInvalidToken(token);
    });

    it('refuses it once it has expired', async () => {
      const token = await verifiedToken();
      const { exp } = decodeJwt(token).payload as { exp: number };
      // Only Date is faked: past exp and the 30 s leeway, the app sees the token as expired.
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime((exp + 31) * 1000);
      await expectInvalidToken(token);
    });

    it('refuses the same header and payload with one signature byte flipped', async () => {
      const token = await verifiedToken();
      const [h, p, s] = token.split('.');
      const signature = Buffer.from(s, 'base64url');
      signature[10] ^= 0x01;
      await expectInvalidToken(`${h}.${p}.${signature.toString('base64url')}`);
      expect((await adminCall(token)).statusCode).toBe(200);
    });

    it('refuses it once its operator is disabled', async () => {
      const id = (await createOperator(t.app, admin.access_token, 'ops-cached', ['admin'])).id;
      const token = (await tokenFor(t.app, 'ops-cached', TEST_OPERATOR_PASSWORD)).access_token;
      expect((await adminCall(token)).statusCode).toBe(200);
      expect((await adminCall(token)).statusCode).toBe(200);
      const disabled = await t.app.inject({
        method: 'PATCH',
        url: `/admin/operators/${id}`,
        headers: bearer(admin.access_token),
        payload: { disabled: true },
      });
      expect(disabled.statusCode).toBe(200);
      await expectInvalidToken(token);
    });
  });
});
