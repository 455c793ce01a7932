import { ConfigError } from '@orderops/core';
import { pino, type DestinationStream } from 'pino';

/**
 * How the API writes its log lines: `json` (the default; one object per line, what log
 * collectors read) or `pretty` (one readable line per entry, for a developer's terminal;
 * `npm run start:dev` sets it). Only the rendering differs: the same lines, redacted and
 * scrubbed the same way, are written either way.
 */
export type LogFormat = 'json' | 'pretty';

export function readLogFormat(env: NodeJS.ProcessEnv): LogFormat {
  const raw = env.LOG_FORMAT?.trim();
  if (raw === undefined || raw === '' || raw === 'json') return 'json';
  if (raw === 'pretty') return 'pretty';
  throw new ConfigError([{ setting: 'LOG_FORMAT', problem: 'must be json or pretty' }]);
}

/** Keys every line carries that the pretty rendering shows in its own place, or not at all. */
const SHOWN_APART = new Set(['level', 'time', 'msg', 'context', 'service', 'pid', 'hostname', 'err']);

/** `12:03:04.567 INFO  [Context] message key=value ...`, then an error's stack, if any. */
export function prettyLine(json: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`;
  }
  const time = typeof entry.time === 'string' ? entry.time.slice(11, 23) : '';
  const level = (typeof entry.level === 'string' ? entry.level : '').toUpperCase().padEnd(5);
  const context = typeof entry.context === 'string' ? ` [${entry.context}]` : '';
  const fields = Object.entries(entry)
    .filter(([key]) => !SHOWN_APART.has(key))
    // A value the message already spells out (the startup line's URLs) is not repeated.
    .filter(
      ([, value]) =>
        !(typeof value === 'string' && typeof entry.msg === 'string' && entry.msg.includes(value)),
    )
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  const err = entry.err as { stack?: unknown; message?: unknown } | undefined;
  const stack = typeof err?.stack === 'string' ? `\n    ${err.stack.split('\n').join('\n    ')}` : '';
  return `${time} ${level}${context} ${typeof entry.msg === 'string' ? entry.msg : ''}${fields.length ? ` ${fields.join(' ')}` : ''}${stack}\n`;
}

/**
 * A pino destination that renders each line with `prettyLine` onto a file descriptor.
 * Synchronous (pino's own destination, which retries when a pipe is full): a developer's
 * terminal is not a throughput concern, and nothing is lost when the process exits right
 * after a line.
 */
export function prettyDestination(fd: 1 | 2): DestinationStream {
  const out = pino.destination({ dest: fd, sync: true });
  return {
    write(line: string): void {
      for (const one of line.split('\n')) if (one !== '') out.write(prettyLine(one));
    },
  };
}
