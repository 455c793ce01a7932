import { type Scope } from '@orderops/access';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { LightMyRequestResponse } from 'fastify';

/** Test-only credentials; never used outside the suites. */
export const TEST_ADMIN_PASSWORD = 'test-only-bootstrap-pw-7f3c-kq';
export const TEST_OPERATOR_PASSWORD = 'test-only-operator-pw-91d2e';

/** `application/x-www-form-urlencoded`, keeping repeated keys when given an array. */
export function form(params: Record<string, string | string[]>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    for (const v of Array.isArray(value) ? value : [value]) search.append(key, v);
  }
  return search.toString();
}

export function postForm(
  app: NestFastifyApplication,
  url: string,
  params: Record<string, string | string[]>,
  headers: Record<string, string> = {},
): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    payload: form(params),
  });
}

export interface TokenBody {
  access_token: string;
  token_type: string;
  expires_in: number;
  scope: string;
  refresh_token?: string;
  id_token?: string;
  error?: string;
  error_description?: string;
}

export async function passwordGrant(
  app: NestFastifyApplication,
  username: string,
  password: string,
  extra: Record<string, string> = {},
): Promise<LightMyRequestResponse> {
  return postForm(app, '/oauth/token', {
    grant_type: 'password',
    client_id: 'orderops-web',
    username,
    password,
    ...extra,
  });
}

/** An access token for `username`, failing the test if the grant does not succeed. */
export async function tokenFor(
  app: NestFastifyApplication,
  username: string,
  password: string,
  scope?: string,
): Promise<TokenBody> {
  const res = await passwordGrant(app, username, password, scope ? { scope } : {});
  if (res.statusCode !== 200) throw new Error(`token request failed: ${res.statusCode} ${res.body}`);
  return res.json<TokenBody>();
}

export const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

export function basic(clientId: string, secret: string): Record<string, string> {
  const encode = (s: string) => encodeURIComponent(s);
  return {
    authorization: `Basic ${Buffer.from(`${encode(clientId)}:${encode(secret)}`).toString('base64')}`,
  };
}

/** A client_credentials access token for a client, failing the test if the grant does not succeed. */
export async function clientTokenFor(
  app: NestFastifyApplication,
  client: { clientId: string; clientSecret: string },
): Promise<string> {
  const res = await postForm(
    app,
    '/oauth/token',
    { grant_type: 'client_credentials' },
    basic(client.clientId, client.clientSecret),
  );
  if (res.statusCode !== 200) throw new Error(`token request failed: ${res.statusCode} ${res.body}`);
  return res.json<TokenBody>().access_token;
}

export async function createOperator(
  app: NestFastifyApplication,
  adminToken: string,
  username: string,
  scopes: Scope[],
  password = TEST_OPERATOR_PASSWORD,
): Promise<{ id: string; username: string }> {
  const res = await app.inject({
    method: 'POST',
    url: '/admin/operators',
    headers: bearer(adminToken),
    payload: { username, password, scopes },
  });
  if (res.statusCode !== 201) throw new Error(`operator creation failed: ${res.statusCode} ${res.body}`);
  return res.json<{ id: string; username: string }>();
}

export async function createClient(
  app: NestFastifyApplication,
  adminToken: string,
  name: string,
  scopes: Scope[],
): Promise<{ clientId: string; clientSecret: string }> {
  const res = await app.inject({
    method: 'POST',
    url: '/admin/clients',
    headers: bearer(adminToken),
    payload: { name, scopes },
  });
  if (res.statusCode !== 201) throw new Error(`client creation failed: ${res.statusCode} ${res.body}`);
  return res.json<{ clientId: string; clientSecret: string }>();
}

export function decodeJwt(token: string): {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
} {
  const [h, p] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as Record<string, unknown>,
    payload: JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>,
  };
}
