import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { TEST_ADMIN_PASSWORD, tokenFor } from './support/auth.js';
import { useTestApp } from './support/use-test-app.js';

interface Trickle {
  /** Everything the server sent until it closed the connection. */
  readonly received: string;
}

/**
 * Sends `head` and then `body` one byte every `everyMs`, over a real TCP connection,
 * until the server closes it; resolves with what the server answered. Without a server
 * side bound this never resolves and the test's own timeout fails it.
 */
function trickle(
  port: number,
  head: string,
  body: string,
  everyMs: number,
  burstAfter?: number,
): Promise<Trickle> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    let sent = 0;
    let timer: NodeJS.Timeout | undefined;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.on('error', () => undefined); // a reset after the answer is the server closing
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ received });
    });
    socket.on('connect', () => {
      socket.write(head);
      timer = setInterval(() => {
        if (burstAfter !== undefined && sent >= burstAfter) {
          socket.write(body.slice(sent));
          sent = body.length;
        }
        if (sent >= body.length) return clearInterval(timer);
        socket.write(body[sent++]);
      }, everyMs);
    });
    socket.on('timeout', () => reject(new Error('socket timeout')));
  });
}

const headFor = (path: string, type: string, length: number, extra = ''): string =>
  `POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: ${type}\r\nContent-Length: ${length}\r\n${extra}\r\n`;

describe('request body read timeout (HTTP_BODY_TIMEOUT_MS)', () => {
  const t = useTestApp({
    env: { HTTP_BODY_TIMEOUT_MS: '1000', STRICT_RATE_LIMIT_PER_MINUTE: '10000' },
    probes: true,
  });
  let port: number;
  beforeAll(async () => {
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    port = (t.app.getHttpServer().address() as AddressInfo).port;
  });

  it.each(['/probe/echo', '/orders', '/customers/search'])(
    'answers a JSON body trickled a byte every 300 ms to %s with 408 and closes the connection, before authentication',
    async (path) => {
      const body = JSON.stringify({ name: 'slow', count: 1, padding: 'x'.repeat(200) });
      const { received } = await trickle(port, headFor(path, 'application/json', body.length), body, 300);
      expect(received).toMatch(/^HTTP\/1\.1 408 /);
      expect(received).toContain('urn:orderops:problem:request-timeout');
      expect(received.toLowerCase()).toContain('connection: close');
      expect(t.logs.records().some((r) => r.msg === 'request body timed out')).toBe(true);
    },
  );

  it('lets an import upload run past the general bound (the import route bounds its own reads)', async () => {
    const token = (await tokenFor(t.app, 'admin', TEST_ADMIN_PASSWORD, 'orders:import')).access_token;
    const csv = 'product,price,quantity\nLaptop,999.99,1\n';
    const head = headFor('/orders/imports', 'text/csv', csv.length, `Authorization: Bearer ${token}\r\n`);
    // Eight bytes at 250 ms (2 s, twice the general bound), then the rest at once.
    const { received } = await trickle(port, head, csv, 250, 8);
    expect(received).toMatch(/^HTTP\/1\.1 201 /);
  });
});
