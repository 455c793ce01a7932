import { describe, expect, it } from 'vitest';
import { useTestApp } from './support/use-test-app.js';

const ALLOWED_ORIGIN = 'https://app.orderops.test';

describe('HTTP pipeline', () => {
  const t = useTestApp({
    env: { CORS_ORIGINS: `${ALLOWED_ORIGIN},http://localhost:5173` },
    bootstrapAdmin: false,
    probes: true,
  });

  const expectProblem = (res: { headers: Record<string, unknown>; json: () => unknown }, status: number) => {
    expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    const body = res.json() as Record<string, unknown>;
    expect(body).toMatchObject({ status, requestId: res.headers['x-request-id'] });
    expect(typeof body.instance).toBe('string');
    expect(body.type).toMatch(/^urn:orderops:problem:/);
    expect(typeof body.title).toBe('string');
    expect(typeof body.detail).toBe('string');
    return body;
  };

  describe('problem+json for every error', () => {
    it('404 for an unknown path, without echoing the query string', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/no/such/thing?email=jane@example.com' });
      expect(res.statusCode).toBe(404);
      const body = expectProblem(res, 404);
      expect(body.instance).toBe(`urn:orderops:request:${String(body.requestId)}`);
      expect(res.body).not.toContain('/no/such/thing');
      expect(res.body).not.toContain('jane@example.com');
    });

    it('405 with Allow for a known path and the wrong method', async () => {
      const res = await t.app.inject({ method: 'DELETE', url: '/health/live' });
      expect(res.statusCode).toBe(405);
      expect(res.headers.allow).toBe('GET, HEAD');
      expectProblem(res, 405);
    });

    it('413 for a JSON body over 100 KiB', async () => {
      const payload = JSON.stringify({ name: 'x'.repeat(101 * 1024), count: 1 });
      const res = await t.app.inject({
        method: 'POST',
        url: '/probe/echo',
        headers: { 'content-type': 'application/json' },
        payload,
      });
      expect(res.statusCode).toBe(413);
      expectProblem(res, 413);
    });

    it('accepts a body just under the limit (the limit is the body size, not lower)', async () => {
      const padding = ' '.repeat(100 * 1024 - 40);
      const payload = `{"name":"ok","count":1}${padding}`;
      expect(Buffer.byteLength(payload)).toBeLessThan(100 * 1024);
      const res = await t.app.inject({
        method: 'POST',
        url: '/probe/echo',
        headers: { 'content-type': 'application/json' },
        payload,
      });
      expect(res.statusCode).toBe(200);
    });

    it('415 for a content type the route does not parse', async () => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/probe/echo',
        headers: { 'content-type': 'application/xml' },
        payload: '<name>x</name>',
      });
      expect(res.statusCode).toBe(415);
      expectProblem(res, 415);
    });

    it('400 malformed-body for broken JSON', async () => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/probe/echo',
        headers: { 'content-type': 'application/json' },
        payload: '{"name": ',
      });
      expect(res.statusCode).toBe(400);
      expect(expectProblem(res, 400).type).toBe('urn:orderops:problem:malformed-body');
    });

    describe('JSON nesting bound (32 levels)', () => {
      const postJson = (payload: string, url = '/probe/echo') =>
        t.app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload });
      const arrays = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
      const objects = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);

      // Thousands of levels (under the body limit) overflowed the stack in class-transformer: a 500.
      it.each([
        ['arrays', arrays(20_000)],
        ['objects', objects(10_000)],
        ['arrays in a field', `{"name":${arrays(20_000)},"count":1}`],
        ['33 levels', arrays(33)],
        ['33 levels of objects', objects(33)],
      ])('refuses %s deeper than 32 levels with 400 malformed-body', async (_, payload) => {
        const res = await postJson(payload);
        expect(res.statusCode).toBe(400);
        const body = expectProblem(res, 400);
        expect(body.type).toBe('urn:orderops:problem:malformed-body');
        expect(body.detail).toContain('32 levels');
      });

      it('refuses a deep body on a real route before the guard, unauthenticated or not', async () => {
        for (const url of ['/orders', '/customers/search', '/admin/operators']) {
          const res = await postJson(objects(10_000), url);
          expect(res.statusCode).toBe(400);
          expect(expectProblem(res, 400).type).toBe('urn:orderops:problem:malformed-body');
        }
      });

      it('lets 32 levels through to validation, and brackets inside strings do not count', async () => {
        const atBound = await postJson(arrays(32));
        expect(atBound.statusCode).toBe(400);
        expect(expectProblem(atBound, 400).type).toBe('urn:orderops:problem:validation-failed');
        const inString = await postJson(JSON.stringify({ name: `${'[{'.repeat(20)}"\\`, count: 1 }));
        expect(inString.statusCode).toBe(200);
      });

      it.each([
        '{"__proto__":{"polluted":true},"name":"ok","count":1}',
        '{"constructor":{"prototype":{"polluted":true}},"name":"ok","count":1}',
      ])('still refuses prototype poisoning: %s', async (payload) => {
        const res = await postJson(payload);
        expect(res.statusCode).toBe(400);
        expect(expectProblem(res, 400).type).toBe('urn:orderops:problem:malformed-body');
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      });
    });

    it('400 validation-failed with field errors, refusing unknown properties and implicit conversion', async () => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/probe/echo',
        headers: { 'content-type': 'application/json' },
        payload: { name: '', count: '3', extra: 'jane@example.com' },
      });
      expect(res.statusCode).toBe(400);
      const body = expectProblem(res, 400);
      expect(body.type).toBe('urn:orderops:problem:validation-failed');
      const errors = body.errors as { field: string; code: string }[];
      expect(errors).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ field: 'name', code: 'too_short' }),
          expect.objectContaining({ field: 'count', code: 'not_an_integer' }),
          expect.objectContaining({ field: 'extra', code: 'not_allowed' }),
        ]),
      );
      expect(res.body).not.toContain('jane@example.com');
    });

    it('a valid body passes validation', async () => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/probe/echo',
        payload: { name: 'ok', count: 3 },
      });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ label: 'ok', count: 3 });
    });

    it('500 shows the request id and nothing internal, and logs the error', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/probe/boom' });
      expect(res.statusCode).toBe(500);
      const body = expectProblem(res, 500);
      expect(Object.keys(body).sort()).toEqual([
        'detail',
        'instance',
        'requestId',
        'status',
        'title',
        'type',
      ]);
      expect(res.body).not.toMatch(/secret_table|SELECT|password|at .*\.ts/);
      const logged = t.logs
        .records()
        .find((r) => r.requestId === body.requestId && r.msg === 'Unhandled error');
      expect(logged).toBeDefined();
    });
  });

  describe('personal data in responses', () => {
    it('is masked by field name on any shape a handler returns (plain, spread, nested)', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/probe/personal' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({
        name: 'J*** V*** D***',
        email: 'j***@example.com',
        phone: '***67',
        address: { city: 'Amsterdam', country: 'NL' },
        contacts: [{ customerEmail: 'm***@example.org', billing_phone: '***58' }],
        owner: { lastName: 'S***', username: 'jdoe', product: 'Laptop' },
      });
      for (const clear of ['Jane', 'jane.doe', '123 4567', 'Main Street', 'max@', '7946', 'Smith']) {
        expect(res.body).not.toContain(clear);
      }
    });
  });

  describe('security headers', () => {
    it('sets HSTS for at least a year, a strict CSP, and no x-powered-by', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/health/live' });
      const hsts = String(res.headers['strict-transport-security']);
      const maxAge = Number(/max-age=(\d+)/.exec(hsts)?.[1]);
      expect(maxAge).toBeGreaterThanOrEqual(31_536_000);
      expect(res.headers['content-security-policy']).toBe(
        "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
      );
      expect(res.headers['x-powered-by']).toBeUndefined();
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['cache-control']).toBe('no-store');
    });

    it('error responses carry the same headers', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/missing' });
      expect(res.headers['content-security-policy']).toContain("default-src 'none'");
      expect(res.headers['strict-transport-security']).toBeDefined();
    });

    /** helmet's whole set, as it stood when it was computed per request (a change here is a policy change). */
    const HELMET_SET = {
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-resource-policy': 'same-origin',
      'origin-agent-cluster': '?1',
      'referrer-policy': 'no-referrer',
      'strict-transport-security': 'max-age=31536000; includeSubDomains',
      'x-content-type-options': 'nosniff',
      'x-dns-prefetch-control': 'off',
      'x-download-options': 'noopen',
      'x-frame-options': 'SAMEORIGIN',
      'x-permitted-cross-domain-policies': 'none',
      'x-xss-protection': '0',
    };

    it.each([
      ['a success', 'GET', '/health/live'],
      ['a 404', 'GET', '/missing'],
      ['a 401', 'GET', '/admin/signing-keys'],
      ['a validation error', 'POST', '/probe/echo'],
    ] as const)('%s carries every helmet header, precomputed once', async (_, method, url) => {
      const res = await t.app.inject({ method, url, payload: method === 'POST' ? { bogus: 1 } : undefined });
      expect(res.statusCode).not.toBe(500);
      expect(res.headers).toMatchObject(HELMET_SET);
      expect(res.headers['x-powered-by']).toBeUndefined();
    });
  });

  describe('CORS allowlist', () => {
    it('echoes an allowed origin', async () => {
      const res = await t.app.inject({
        method: 'GET',
        url: '/health/live',
        headers: { origin: ALLOWED_ORIGIN },
      });
      expect(res.headers['access-control-allow-origin']).toBe(ALLOWED_ORIGIN);
    });

    it('answers an allowed preflight', async () => {
      const res = await t.app.inject({
        method: 'OPTIONS',
        url: '/probe/echo',
        headers: {
          origin: ALLOWED_ORIGIN,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,content-type',
        },
      });
      expect(res.statusCode).toBeLessThan(300);
      expect(res.headers['access-control-allow-origin']).toBe(ALLOWED_ORIGIN);
      expect(String(res.headers['access-control-allow-headers']).toLowerCase()).toContain('authorization');
    });

    it.each([
      'https://evil.example',
      'null',
      'https://app.orderops.test.evil.example',
      'http://app.orderops.test',
    ])('does not allow %s', async (origin) => {
      const res = await t.app.inject({ method: 'GET', url: '/health/live', headers: { origin } });
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
      const pre = await t.app.inject({
        method: 'OPTIONS',
        url: '/health/live',
        headers: { origin, 'access-control-request-method': 'GET' },
      });
      expect(pre.headers['access-control-allow-origin']).toBeUndefined();
    });
  });

  describe('request id', () => {
    it('keeps a valid inbound X-Request-Id', async () => {
      const id = 'trace-0123456789abcdef';
      const res = await t.app.inject({ method: 'GET', url: '/health/live', headers: { 'x-request-id': id } });
      expect(res.headers['x-request-id']).toBe(id);
    });

    it.each(['short', 'has spaces in it', '<script>alert(1)</script>', 'x'.repeat(129)])(
      'replaces an invalid inbound id (%s)',
      async (id) => {
        const res = await t.app.inject({
          method: 'GET',
          url: '/health/live',
          headers: { 'x-request-id': id },
        });
        expect(res.headers['x-request-id']).not.toBe(id);
        expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      },
    );

    it('generates a distinct id per request when none is sent', async () => {
      const a = await t.app.inject({ method: 'GET', url: '/health/live' });
      const b = await t.app.inject({ method: 'GET', url: '/health/live' });
      expect(a.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(a.headers['x-request-id']).not.toBe(b.headers['x-request-id']);
    });
  });

  describe('request log', () => {
    it('writes one line per request with the route template, never the query, body or credentials', async () => {
      const id = 'log-check-000000000001';
      await t.app.inject({
        method: 'POST',
        url: '/probe/echo?filter=abc123querysecret',
        headers: {
          'x-request-id': id,
          authorization: 'Bearer sekret-bearer-value',
          cookie: 'sid=cookievalue',
        },
        payload: { name: 'body-marker-value', count: 2 },
      });
      const lines = t.logs.records().filter((r) => r.requestId === id);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({
        method: 'POST',
        route: '/probe/echo',
        status: 200,
        msg: 'request completed',
      });
      expect(typeof lines[0].durationMs).toBe('number');
      const text = t.logs.text;
      for (const secret of ['abc123querysecret', 'sekret-bearer-value', 'cookievalue', 'body-marker-value']) {
        expect(text).not.toContain(secret);
      }
    });
  });

  describe('API docs', () => {
    it('serves Swagger UI with its assets from the app, under a CSP that allows only this origin', async () => {
      const page = await t.app.inject({ method: 'GET', url: '/docs' });
      expect(page.statusCode).toBe(200);
      expect(page.headers['content-type']).toContain('text/html');
      const csp = String(page.headers['content-security-policy']);
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toMatch(/https?:\/\//);
      const scripts = [...page.body.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1]);
      expect(scripts.length).toBeGreaterThan(0);
      for (const src of scripts) {
        expect(src).not.toMatch(/^https?:/);
        const asset = await t.app.inject({ method: 'GET', url: new URL(src, 'http://x/docs').pathname });
        expect(asset.statusCode).toBe(200);
      }
    });

    it('serves the OpenAPI document at /docs/openapi.json', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/docs/openapi.json' });
      expect(res.statusCode).toBe(200);
      const doc = res.json<{ openapi: string; paths: Record<string, unknown> }>();
      expect(doc.openapi).toMatch(/^3\./);
      expect(Object.keys(doc.paths)).toContain('/health/ready');
    });
  });
});
