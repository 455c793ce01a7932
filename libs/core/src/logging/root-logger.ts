import { pino, stdSerializers, type DestinationStream, type Logger } from 'pino';
import type { AppConfig } from '../config/app-config.js';
import { REDACTED, redactSensitiveKeys } from './log-redaction.js';

export const ROOT_LOGGER = Symbol('ROOT_LOGGER');

/**
 * The process's one pino logger. Structured redaction runs on every log object
 * (`formatters.log`), and the fixed paths below cover request objects that reach a logger.
 */
export function createRootLogger(
  config: Pick<AppConfig, 'logLevel'>,
  destination?: DestinationStream,
): Logger {
  return pino(
    {
      level: config.logLevel,
      base: { service: 'orderops' },
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
      serializers: { err: stdSerializers.err },
      formatters: {
        level: (label) => ({ level: label }),
        log: (object) => redactSensitiveKeys(object) as Record<string, unknown>,
      },
    },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
