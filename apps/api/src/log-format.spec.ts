import { describe, expect, it } from 'vitest';
import { prettyLine, readLogFormat } from './log-format.js';

describe('LOG_FORMAT', () => {
  it('is json unless pretty is asked for, and refuses anything else by name, never echoing it', () => {
    expect(readLogFormat({})).toBe('json');
    expect(readLogFormat({ LOG_FORMAT: '' })).toBe('json');
    expect(readLogFormat({ LOG_FORMAT: 'json' })).toBe('json');
    expect(readLogFormat({ LOG_FORMAT: ' pretty ' })).toBe('pretty');
    expect(() => readLogFormat({ LOG_FORMAT: 'Pretty-s3cret' })).toThrow(
      /LOG_FORMAT: must be json or pretty/,
    );
    expect(() => readLogFormat({ LOG_FORMAT: 'Pretty-s3cret' })).not.toThrow(/s3cret/);
  });
});

describe('the pretty rendering', () => {
  it('puts time, level, context and message first, then the other fields', () => {
    const line = prettyLine(
      JSON.stringify({
        level: 'info',
        time: '2026-12-01T16:08:50.501Z',
        service: 'orderops',
        context: 'Startup',
        url: 'http://127.0.0.1:3000',
        docsUrl: 'http://127.0.0.1:3000/docs',
        count: 2,
        msg: 'OrderOps listening on http://127.0.0.1:3000',
      }),
    );
    // docsUrl is not in the message: shown; url is: not repeated.
    expect(line).toBe(
      '16:08:50.501 INFO  [Startup] OrderOps listening on http://127.0.0.1:3000 docsUrl=http://127.0.0.1:3000/docs count=2\n',
    );
  });

  it('indents an error stack under its line and passes through what is not JSON', () => {
    const line = prettyLine(
      JSON.stringify({
        level: 'fatal',
        time: '2026-12-01T16:08:50.501Z',
        err: { type: 'Error', message: 'boom', stack: 'Error: boom\n    at x' },
        msg: 'failed',
      }),
    );
    expect(line).toBe('16:08:50.501 FATAL failed\n    Error: boom\n        at x\n');
    expect(prettyLine('not json')).toBe('not json\n');
  });
});
