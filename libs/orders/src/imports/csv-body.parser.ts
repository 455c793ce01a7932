import { Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { ImportContentEncodingError, ImportMediaTypeError } from '../orders.errors.js';

export const IMPORT_ROUTE = '/orders/imports';

/**
 * Hands a text/csv body to the import route as the raw request stream: never buffered, and
 * outside the 100 KiB JSON limit (the import enforces IMPORT_MAX_BYTES while it reads).
 * Any other route answers 415 to text/csv, and so does an encoded (compressed) body here:
 * it would be parsed as garbage, and inflating it would defeat the byte limit.
 */
@Injectable()
export class CsvBodyParser implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    if (!fastify) return;
    fastify.addContentTypeParser('text/csv', (request, payload, done) => {
      const charset = /;\s*charset="?([^";\s]+)/i.exec(request.headers['content-type'] ?? '')?.[1];
      const utf8 = charset === undefined || /^utf-?8$/i.test(charset);
      const encoding = (request.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
      if (request.method !== 'POST' || request.routeOptions.url !== IMPORT_ROUTE || !utf8) {
        done(new ImportMediaTypeError(), undefined);
      } else if (encoding !== 'identity') {
        done(new ImportContentEncodingError(), undefined);
      } else {
        done(null, payload);
      }
    });
  }
}
