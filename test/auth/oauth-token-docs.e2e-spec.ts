import { readFileSync } from 'node:fs';
import type { LightMyRequestResponse } from 'fastify';
import { describe, expect, it } from 'vitest';
import { basic, passwordGrant, postForm, TEST_ADMIN_PASSWORD } from '../support/auth.js';
import { useTestApp } from '../support/use-test-app.js';

type Schema = {
  $ref?: string;
  allOf?: Schema[];
  type?: string;
  enum?: unknown[];
  required?: string[];
  properties?: Record<string, Schema>;
};
interface Response {
  content?: Record<string, { schema: Schema }>;
  headers?: Record<string, unknown>;
}

const document = JSON.parse(readFileSync('openapi.json', 'utf8')) as {
  paths: Record<
    string,
    Record<
      string,
      {
        requestBody: { content: Record<string, { schema: Schema }> };
        responses: Record<string, Response>;
      }
    >
  >;
  components: { schemas: Record<string, Schema> };
};
const operation = document.paths['/oauth/token']['post'];

/** A schema with its $ref and allOf folded in: properties merged, the last enum winning. */
function resolve(schema: Schema): Schema {
  if (schema.$ref) return resolve(document.components.schemas[schema.$ref.split('/').at(-1)!]);
  if (!schema.allOf) return schema;
  const parts = schema.allOf.map(resolve);
  const properties: Record<string, Schema> = {};
  for (const part of parts)
    for (const [name, property] of Object.entries(part.properties ?? {}))
      properties[name] = { ...properties[name], ...property };
  return { type: 'object', required: parts.flatMap((p) => p.required ?? []), properties };
}

/** Where a JSON body departs from a documented object schema (required, types, enums, extras). */
function departures(body: Record<string, unknown>, schema: Schema): string[] {
  const faults: string[] = [];
  const properties = schema.properties ?? {};
  for (const name of schema.required ?? []) if (!(name in body)) faults.push(`${name}: missing`);
  for (const [name, value] of Object.entries(body)) {
    const property = properties[name];
    if (!property) {
      faults.push(`${name}: not documented`);
      continue;
    }
    const type =
      property.type === 'integer' ? (Number.isInteger(value) ? 'integer' : typeof value) : typeof value;
    if (property.type && type !== property.type) faults.push(`${name}: ${type}, documented ${property.type}`);
    if (property.enum && !property.enum.includes(value)) faults.push(`${name}: ${String(value)} not in enum`);
  }
  return faults;
}

function conforms(res: LightMyRequestResponse): string[] {
  const response = operation.responses[String(res.statusCode)];
  if (!response) return [`status ${res.statusCode} is not documented`];
  const mediaType = String(res.headers['content-type']).split(';')[0];
  const content = response.content?.[mediaType];
  if (!content) return [`${res.statusCode} ${mediaType} is not documented`];
  return departures(res.json<Record<string, unknown>>(), resolve(content.schema));
}

describe('POST /oauth/token in openapi.json', () => {
  const t = useTestApp({
    env: { STRICT_RATE_LIMIT_PER_MINUTE: '10000' },
    clients: { Acme: ['orders:read'] },
    signIn: [],
    behindProxy: true,
  });

  it('documents the success body of RFC 6749 §5.1', () => {
    const ok = resolve(operation.responses['200'].content!['application/json'].schema);
    expect(Object.keys(ok.properties!).sort()).toEqual(
      ['access_token', 'expires_in', 'refresh_token', 'scope', 'token_type'].sort(),
    );
    expect(ok.required!.sort()).toEqual(['access_token', 'expires_in', 'scope', 'token_type']);
    expect(ok.properties!['expires_in'].type).toBe('integer');
    expect(ok.properties!['token_type'].enum).toEqual(['Bearer']);
    expect(Object.keys(operation.responses['200'].headers ?? {})).toEqual(['Cache-Control', 'Pragma']);
  });

  it('documents the §5.2 error body for 400, 401 and 503, with the codes each carries', () => {
    const codes = (status: string) => {
      const response = operation.responses[status];
      expect(Object.keys(response.content ?? {}), status).toEqual(['application/json']);
      const schema = resolve(response.content!['application/json'].schema);
      expect(schema.required, status).toEqual(['error']);
      expect(Object.keys(schema.properties!).sort()).toEqual(['error', 'error_description']);
      return schema.properties!['error'].enum;
    };
    expect(codes('400')).toEqual([
      'invalid_request',
      'invalid_grant',
      'unauthorized_client',
      'unsupported_grant_type',
      'invalid_scope',
    ]);
    expect(codes('401')).toEqual(['invalid_client']);
    expect(codes('503')).toEqual(['temporarily_unavailable']);
    expect(Object.keys(operation.responses['401'].headers ?? {})).toContain('WWW-Authenticate');
    expect(Object.keys(operation.responses['503'].headers ?? {})).toContain('Retry-After');
    // The limits and our own faults stay problem documents, as the filter answers them.
    for (const status of ['429', '500'])
      expect(Object.keys(operation.responses[status].content ?? {})).toEqual(['application/problem+json']);
  });

  it('documents every form parameter, the authorization code grant with PKCE included', () => {
    const form = operation.requestBody.content['application/x-www-form-urlencoded'].schema;
    expect(form.required).toEqual(['grant_type']);
    expect(form.properties!['grant_type'].enum).toEqual([
      'authorization_code',
      'password',
      'client_credentials',
      'refresh_token',
    ]);
    expect(Object.keys(form.properties!)).toEqual(
      expect.arrayContaining([
        'code',
        'redirect_uri',
        'code_verifier',
        'client_id',
        'scope',
        'refresh_token',
      ]),
    );
  });

  it('the answers of the running app match what is documented, status by status', async () => {
    const acme = t.client('Acme');
    const client = basic(acme.clientId, acme.clientSecret);
    const password = await passwordGrant(t.app, 'admin', TEST_ADMIN_PASSWORD);
    expect(password.statusCode).toBe(200);
    expect(password.json()).toHaveProperty('refresh_token');
    expect(conforms(password)).toEqual([]);
    const credentials = await postForm(t.app, '/oauth/token', { grant_type: 'client_credentials' }, client);
    expect(credentials.statusCode).toBe(200);
    expect(conforms(credentials)).toEqual([]);

    const refused = [
      await postForm(t.app, '/oauth/token', { grant_type: 'client_credentials', scope: 'admin' }, client),
      await postForm(t.app, '/oauth/token', { grant_type: 'no_such_grant' }, client),
      await postForm(t.app, '/oauth/token', { grant_type: 'refresh_token', refresh_token: 'x' }, client),
      await passwordGrant(t.app, 'admin', 'not-the-password'),
      await postForm(
        t.app,
        '/oauth/token',
        { grant_type: 'client_credentials' },
        basic(acme.clientId, 'wrong'),
      ),
    ];
    expect(refused.map((r) => `${r.statusCode} ${r.json<{ error: string }>().error}`)).toEqual([
      '400 invalid_scope',
      '400 unsupported_grant_type',
      // Acme is a client_credentials client: the refresh grant is not one it may use.
      '400 unauthorized_client',
      '400 invalid_grant',
      '401 invalid_client',
    ]);
    for (const res of refused) expect(conforms(res)).toEqual([]);

    t.proxy.cut();
    try {
      const outage = await postForm(t.app, '/oauth/token', { grant_type: 'client_credentials' }, client);
      expect(outage.statusCode).toBe(503);
      expect(conforms(outage)).toEqual([]);
    } finally {
      t.proxy.restore();
    }
  });

  it('the conformance check itself catches a body that departs from the schema', () => {
    const ok = resolve(operation.responses['200'].content!['application/json'].schema);
    expect(
      departures({ access_token: 'a', token_type: 'bearer', expires_in: 1.5, extra: 1 }, ok).sort(),
    ).toEqual([
      'expires_in: number, documented integer',
      'extra: not documented',
      'scope: missing',
      'token_type: bearer not in enum',
    ]);
  });
});
