import type { OnApplicationShutdown } from '@nestjs/common';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { AppConfig } from '../config/app-config.js';
import type { Metrics } from './metrics.js';

export const METRICS_PATH = '/metrics';

/**
 * The scrape endpoint on its own port (METRICS_PORT), on the API's host: a plain Node server
 * outside the API's Fastify, so no route, hook, ingress rule or CORS policy of the public port
 * can ever expose it, and a scrape does not count as an API request.
 */
export class MetricsServer implements OnApplicationShutdown {
  private server: Server | undefined;

  constructor(
    private readonly config: Pick<AppConfig, 'http' | 'metrics'>,
    private readonly metrics: Metrics,
    private readonly log: Logger,
  ) {}

  /** Starts listening when metrics are enabled; rejects (EADDRINUSE, ...) like the API's listen. */
  async listen(): Promise<void> {
    if (!this.config.metrics.enabled || this.server !== undefined) return;
    this.metrics.collectProcessMetrics();
    const server = createServer((request, response) => this.answer(request, response));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.config.metrics.port, this.config.http.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (error: NodeJS.ErrnoException) =>
      this.log.warn({ code: error.code }, 'Metrics server error'),
    );
    this.server = server;
  }

  /** Where it listens, once it does. */
  address(): AddressInfo | undefined {
    return (this.server?.address() as AddressInfo | null) ?? undefined;
  }

  private answer(request: IncomingMessage, response: ServerResponse): void {
    response.setHeader('x-content-type-options', 'nosniff');
    response.setHeader('cache-control', 'no-store');
    if ((request.url ?? '').split('?', 1)[0] !== METRICS_PATH) {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found\n');
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
      response.end('Method not allowed\n');
      return;
    }
    this.metrics.scrape().then(
      (body) => {
        response.writeHead(200, { 'content-type': this.metrics.contentType });
        response.end(request.method === 'HEAD' ? undefined : body);
      },
      (error: unknown) => {
        // A collector's failure; its message is not for the scraper.
        this.log.error(
          { errorType: error instanceof Error ? error.name : 'unknown' },
          'Metrics scrape failed',
        );
        response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('Scrape failed\n');
      },
    );
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // A scraper's keep-alive connection would otherwise hold shutdown for its whole timeout.
    server.closeAllConnections();
    await closed;
  }
}
