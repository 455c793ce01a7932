import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { form, TEST_ADMIN_PASSWORD } from '../support/auth.js';
import { freePort, startApi, type RunningProcess } from '../support/processes.js';
import { provisionTestDatabase, type TestDatabase } from '../support/test-database.js';

/** One span as OTLP/HTTP JSON carries it (ids hex-encoded). */
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: { key: string; value: Record<string, unknown> }[];
  status?: { code?: number };
}

/** A collector's OTLP/HTTP endpoint in this process: it keeps what the API exports. */
class Collector {
  readonly bodies: string[] = [];
  private server!: Server;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        if (req.url === '/v1/traces') this.bodies.push(body);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  spans(): OtlpSpan[] {
    return this.bodies.flatMap((body) => {
      const parsed = JSON.parse(body) as {
        resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[];
      };
      return parsed.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
    });
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const attribute = (span: OtlpSpan, key: string): unknown => {
  const value = span.attributes?.find((a) => a.key === key)?.value;
  return value === undefined ? undefined : Object.values(value)[0];
};

async function until<T>(read: () => T | undefined, what: string): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const value = read();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function tokenOf(api: RunningProcess): Promise<string> {
  const res = await fetch(`${api.url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form({
      grant_type: 'password',
      client_id: 'orderops-web',
      username: 'admin',
      password: TEST_ADMIN_PASSWORD,
      scope: 'orders:read',
    }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}

const logLines = (api: RunningProcess): Record<string, unknown>[] =>
  api
    .stdout()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe('traces exported over OTLP/HTTP by the built API', () => {
  const collector = new Collector();
  let db: TestDatabase;
  let api: RunningProcess;
  let token: string;

  beforeAll(async () => {
    db = await provisionTestDatabase();
    const endpoint = await collector.start();
    api = await startApi({
      ...db.env,
      ORDEROPS_BOOTSTRAP_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
      LOG_LEVEL: 'info',
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_SERVICE_NAME: 'orderops-under-test',
    });
    token = await tokenOf(api);
  }, 120_000);

  afterAll(async () => {
    api?.child.kill('SIGTERM');
    await api?.exited;
    await collector.stop();
    await db?.dispose();
  });

  it("continues the caller's W3C trace: the request span is a child of the traceparent's span", async () => {
    const traceId = randomBytes(16).toString('hex');
    const parentId = randomBytes(8).toString('hex');
    const res = await fetch(`${api.url}/orders?limit=1`, {
      headers: { authorization: `Bearer ${token}`, traceparent: `00-${traceId}-${parentId}-01` },
    });
    expect(res.status).toBe(200);
    const server = await until(
      () => collector.spans().find((s) => s.traceId === traceId && s.name === 'GET /orders'),
      'the request span',
    );
    expect(server.parentSpanId).toBe(parentId);
    expect(server.kind).toBe(2); // SPAN_KIND_SERVER
    expect(attribute(server, 'http.route')).toBe('/orders');
    expect(attribute(server, 'http.response.status_code')).toBe(200);
    // The concrete URL (with its query) is never recorded.
    expect(JSON.stringify(server)).not.toContain('limit=1');

    const queries = await until(() => {
      const found = collector
        .spans()
        .filter((s) => s.traceId === traceId && attribute(s, 'db.system.name') === 'postgresql');
      return found.length > 0 ? found : undefined;
    }, 'the query spans');
    for (const query of queries) {
      expect(query.parentSpanId).toBe(server.spanId);
      expect(String(attribute(query, 'db.query.text'))).toMatch(/^\s*[A-Za-z]/);
    }
  });

  it('starts a new trace for a request without (or with a malformed) traceparent', async () => {
    const before = new Set(collector.spans().map((s) => s.traceId));
    const res = await fetch(`${api.url}/.well-known/jwks.json`, {
      headers: { traceparent: '00-zz-not-a-trace-01' },
    });
    expect(res.status).toBe(200);
    const span = await until(
      () => collector.spans().find((s) => s.name === 'GET /.well-known/jwks.json' && !before.has(s.traceId)),
      'the JWKS span',
    );
    expect(span.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(span.parentSpanId ?? '').toBe('');
  });

  it('exports nothing for the probes, not even for a sampled traceparent', async () => {
    const probeTrace = randomBytes(16).toString('hex');
    const headers = { traceparent: `00-${probeTrace}-${randomBytes(8).toString('hex')}-01` };
    expect((await fetch(`${api.url}/health/live`, { headers })).status).toBe(200);
    expect((await fetch(`${api.url}/health/ready`, { headers })).status).toBe(200);
    // A traced request after them: once its span is exported, theirs would have been too.
    const afterTrace = randomBytes(16).toString('hex');
    const res = await fetch(`${api.url}/.well-known/jwks.json`, {
      headers: { traceparent: `00-${afterTrace}-${randomBytes(8).toString('hex')}-01` },
    });
    expect(res.status).toBe(200);
    await until(() => collector.spans().find((s) => s.traceId === afterTrace), 'the span after the probes');
    expect(collector.spans().filter((s) => s.traceId === probeTrace)).toEqual([]);
    expect(collector.spans().filter((s) => s.name.includes('/health/'))).toEqual([]);
  });

  it('spans password checks and never records the password or the username', async () => {
    const before = collector.bodies.length;
    await tokenOf(api);
    const verify = await until(
      () => collector.spans().find((s) => s.name === 'password.verify'),
      'a password.verify span',
    );
    expect(verify).toBeDefined();
    await until(() => (collector.bodies.length > before ? true : undefined), 'an export after the grant');
    const exported = collector.bodies.join('\n');
    expect(exported).not.toContain(TEST_ADMIN_PASSWORD);
    expect(exported).not.toContain(token);
  });

  it('names the trace id in every log line of the request', async () => {
    const traceId = randomBytes(16).toString('hex');
    const res = await fetch(`${api.url}/orders/ORD-01ARZ3NDEKTSV4RRFFQ69G5FAV`, {
      headers: {
        authorization: `Bearer ${token}`,
        traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01`,
      },
    });
    expect(res.status).toBe(404);
    const requestId = res.headers.get('x-request-id');
    const line = await until(
      () => logLines(api).find((l) => l.requestId === requestId && l.msg === 'request completed'),
      'the request log line',
    );
    expect(line.traceId).toBe(traceId);
    for (const other of logLines(api).filter((l) => l.requestId === requestId))
      expect(other.traceId).toBe(traceId);
  });
});

describe('the built API without an OTLP endpoint', () => {
  let db: TestDatabase;
  let api: RunningProcess;

  beforeAll(async () => {
    db = await provisionTestDatabase();
    api = await startApi({
      ...db.env,
      ORDEROPS_BOOTSTRAP_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
      LOG_LEVEL: 'info',
    });
  }, 120_000);

  afterAll(async () => {
    api?.child.kill('SIGTERM');
    await api?.exited;
    await db?.dispose();
  });

  it('makes no spans and logs no trace id, even when the caller sends a traceparent', async () => {
    const traceId = randomBytes(16).toString('hex');
    const res = await fetch(`${api.url}/.well-known/jwks.json`, {
      headers: { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
    });
    expect(res.status).toBe(200);
    const requestId = res.headers.get('x-request-id');
    const line = await until(
      () => logLines(api).find((l) => l.requestId === requestId && l.msg === 'request completed'),
      'the request log line',
    );
    expect(line).not.toHaveProperty('traceId');
    expect(api.stdout()).not.toContain(traceId);
  });
});

describe('the built API when its collector is down', () => {
  let db: TestDatabase;
  let api: RunningProcess;

  beforeAll(async () => {
    db = await provisionTestDatabase();
    // A port nothing listens on: every export is refused.
    api = await startApi({
      ...db.env,
      ORDEROPS_BOOTSTRAP_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${await freePort()}`,
      OTEL_BSP_SCHEDULE_DELAY: '100',
    });
  }, 120_000);

  afterAll(async () => {
    api?.child.kill('SIGTERM');
    await api?.exited;
    await db?.dispose();
  });

  it('keeps serving and says so in its own log, as a warning', async () => {
    // A traced route (the probes make no span, so nothing would be exported).
    for (let i = 0; i < 3; i++) expect((await fetch(`${api.url}/.well-known/jwks.json`)).status).toBe(200);
    const warning = await until(
      () => logLines(api).find((l) => l.context === 'Tracing' && l.level === 'warn'),
      'a tracing warning',
    );
    expect(typeof warning.msg).toBe('string');
    expect((await fetch(`${api.url}/health/live`)).status).toBe(200);
  });
});
