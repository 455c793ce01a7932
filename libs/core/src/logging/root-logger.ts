import { pino, stdSerializers, type DestinationStream, type Logger } from 'pino';
import type { AppConfig } from '../config/app-config.js';
import { REDACTED, redactSensitiveKeys } from './log-redaction.js';
import { scrubDeep, scrubText } from './scrub.js';
import { currentRequestContext } from '../http/request-context.js';

export const ROOT_LOGGER = Symbol('ROOT_LOGGER');

/** Errors are serialized (message, stack, driver details, query parameters) and then scrubbed. */
function scrubbedError(error: Error): unknown {
  return scrubDeep(redactSensitiveKeys(stdSerializers.err(error)));
}

/**
 * The process's one pino logger. Every line passes two filters: keys that name credentials
 * are redacted at any depth, and every string (message, values, error text and stacks) is
 * scrubbed of emails, phone numbers, card numbers, JWTs and bearer credentials.
 */
export function createRootLogger(
  config: Pick<AppConfig, 'logLevel'>,
  destination?: DestinationStream,
): Logger {
  return pino(
    {
      level: config.logLevel,
      base: { service: 'orderops' },
      // Every line written while serving a request carries its id, and its trace id when
      // tracing is on, so a line and the request's spans can be found from each other.
      mixin: () => {
        const context = currentRequestContext();
        if (!context) return {};
        return context.traceId
          ? { requestId: context.requestId, traceId: context.traceId }
          : { requestId: context.requestId };
      },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          'res.headers["set-cookie"]',
          'req.body',
          'req.query',
        ],
        censor: REDACTED,
      },
      serializers: { err: scrubbedError, error: scrubbedError },
      formatters: {
        level: (label) => ({ level: label }),
        log: (object) => scrubDeep(redactSensitiveKeys(object)) as Record<string, unknown>,
      },
      hooks: {
        logMethod(args, method) {
          const scrubbed = args.map((arg) => (typeof arg === 'string' ? scrubText(arg) : arg));
          method.apply(this, scrubbed as Parameters<typeof method>);
        },
      },
    },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
