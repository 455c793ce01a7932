import { randomBytes, randomInt } from 'node:crypto';
import { connect } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { listenApp } from '../../apps/api/src/app.factory.js';
import { form } from '../support/auth.js';
import { freePort } from '../support/processes.js';
import { useTestApp } from '../support/use-test-app.js';
import { ownSeries, samples, scrape } from './support.js';

const [apiPort, metricsPort] = [await freePort(), await freePort()];
const api = `http://127.0.0.1:${apiPort}`;
const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** Every value a case made up, to look for in the scrape afterwards. */
const chosen: string[] = [];
const pick = (value: string): string => (chosen.push(value), value);
const randomOrderId = (): string =>
  pick(`ORD-${Array.from({ length: 26 }, () => CROCKFORD[randomInt(32)]).join('')}`);
const randomText = (): string => pick(`x${randomBytes(9).toString('hex')}`);

const series = (method: string, route: string, statusClass: string): string =>
  `{method="${method}",route="${route}",status_class="${statusClass}"}`;

async function values(): Promise<Map<string, number>> {
  return samples((await scrape(metricsUrl)).text);
}

/** Polls the scrape until `check` holds (the in-flight gauge moves when sockets close). */
async function eventually(check: (v: Map<string, number>) => boolean): Promise<Map<string, number>> {
  for (let i = 0; i < 50; i++) {
    const v = await values();
    if (check(v)) return v;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return values();
}

describe('HTTP request metrics', () => {
  const t = useTestApp({
    env: {
      HOST: '127.0.0.1',
      PORT: String(apiPort),
      METRICS_PORT: String(metricsPort),
      // The cardinality case sends a thousand requests from one address, a third of them logins.
      RATE_LIMIT_PER_MINUTE: '100000',
      STRICT_RATE_LIMIT_PER_MINUTE: '100000',
    },
    operators: { clerk: ['orders:read'] },
  });
  beforeAll(async () => listenApp(t.app, t.config));
  const auth = (): Record<string, string> => ({ authorization: `Bearer ${t.token('clerk')}` });

  /** One request of each shape a caller controls: known route, unknown id, unknown path, failed login. */
  const requests = {
    order: () => fetch(`${api}/orders/${randomOrderId()}`, { headers: auth() }),
    badOrderId: () => fetch(`${api}/orders/${randomText()}`, { headers: auth() }),
    anonymousOrder: () => fetch(`${api}/orders/${randomOrderId()}`),
    unknownPath: () => fetch(`${api}/${randomText()}/${randomText()}?q=${randomText()}`),
    failedLogin: () =>
      fetch(`${api}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form({
          grant_type: 'password',
          client_id: 'orderops-web',
          username: `user-${randomText()}@example.com`,
          password: randomText(),
        }),
      }),
  };

  it('counts requests and their latency by method, route template and status class', async () => {
    const before = await values();
    const count = (key: string, v: Map<string, number>): number => v.get(key) ?? 0;
    for (let i = 0; i < 3; i++) expect((await fetch(`${api}/health/live`)).status).toBe(200);
    expect((await requests.order()).status).toBe(404);
    expect((await requests.anonymousOrder()).status).toBe(401);
    expect((await requests.unknownPath()).status).toBe(404);
    const after = await values();

    const live = series('GET', '/health/live', '2xx');
    expect(
      count(`orderops_http_requests_total${live}`, after) -
        count(`orderops_http_requests_total${live}`, before),
    ).toBe(3);
    expect(
      count(`orderops_http_request_duration_seconds_count${live}`, after) -
        count(`orderops_http_request_duration_seconds_count${live}`, before),
    ).toBe(3);
    expect(after.get(`orderops_http_request_duration_seconds_sum${live}`)).toBeGreaterThan(0);
    const order = series('GET', '/orders/:id', '4xx');
    expect(
      count(`orderops_http_requests_total${order}`, after) -
        count(`orderops_http_requests_total${order}`, before),
    ).toBe(2);
    const unmatched = series('GET', '(unmatched)', '4xx');
    expect(
      count(`orderops_http_requests_total${unmatched}`, after) -
        count(`orderops_http_requests_total${unmatched}`, before),
    ).toBe(1);
  });

  it('counts a request in flight until it is answered or its client goes away', async () => {
    expect((await values()).get('orderops_http_requests_in_flight')).toBe(0);
    // Headers sent, the body promised and never delivered: the request stays in flight.
    const socket = connect(apiPort, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.write(
      'POST /oauth/token HTTP/1.1\r\nHost: 127.0.0.1\r\n' +
        'Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ngrant_type=',
    );
    expect(
      (await eventually((v) => v.get('orderops_http_requests_in_flight') === 1)).get(
        'orderops_http_requests_in_flight',
      ),
    ).toBe(1);
    socket.destroy();
    expect(
      (await eventually((v) => v.get('orderops_http_requests_in_flight') === 0)).get(
        'orderops_http_requests_in_flight',
      ),
    ).toBe(0);
  });

  it('keeps a closed label set: a thousand random paths, ids and usernames add no series', async () => {
    const kinds = Object.values(requests);
    // Every shape once first, so each series it may legitimately create exists.
    for (const send of kinds) await send();
    const first = await scrape(metricsUrl);
    const before = ownSeries(first.text);

    const sent: string[] = [];
    for (let i = 0; i < 1000; i += 10) {
      await Promise.all(
        Array.from({ length: 10 }, async (_, j) => {
          const response = await kinds[(i + j) % kinds.length]();
          sent.push(response.url);
          await response.arrayBuffer();
        }),
      );
    }
    expect(sent).toHaveLength(1000);
    const last = await scrape(metricsUrl);
    expect(ownSeries(last.text)).toEqual(before);
    // The counters did move: the requests were seen, under the same series.
    const total = (text: string): number =>
      [...samples(text)]
        .filter(([k]) => k.startsWith('orderops_http_requests_total'))
        .reduce((s, [, v]) => s + v, 0);
    expect(total(last.text) - total(first.text)).toBeGreaterThanOrEqual(1000);
    // Nothing a caller chose appears anywhere in the scrape, the Node collectors' lines included.
    expect(chosen.length).toBeGreaterThan(1000);
    expect(chosen.filter((value) => last.text.includes(value))).toEqual([]);
  });
});
