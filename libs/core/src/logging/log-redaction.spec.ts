import { describe, expect, it } from 'vitest';
import { REDACTED, redactSensitiveKeys } from './log-redaction.js';
import { createRootLogger } from './root-logger.js';

describe('redactSensitiveKeys', () => {
  it('redacts credential-looking keys at any depth and keeps the rest', () => {
    const out = redactSensitiveKeys({
      password: 'p1',
      user: { newPassword: 'p2', name: 'ops' },
      headers: { authorization: 'Bearer x', Cookie: 'c', accept: 'json' },
      list: [{ client_secret: 's' }, { refresh_token: 'r', access_token: 'a', apiKey: 'k' }],
      requestId: 'keep-me',
    });
    expect(out).toEqual({
      password: REDACTED,
      user: { newPassword: REDACTED, name: 'ops' },
      headers: { authorization: REDACTED, Cookie: REDACTED, accept: 'json' },
      list: [
        { client_secret: REDACTED },
        { refresh_token: REDACTED, access_token: REDACTED, apiKey: REDACTED },
      ],
      requestId: 'keep-me',
    });
  });

  it('is applied to every line the root logger writes', () => {
    const lines: string[] = [];
    const logger = createRootLogger({ logLevel: 'info' }, { write: (l: string) => void lines.push(l) });
    logger.info({ body: { password: 'hunter2-hunter2' }, token: 'tok-123456' }, 'login');
    expect(lines.join('')).not.toMatch(/hunter2|tok-123456/);
    expect(lines.join('')).toContain(REDACTED);
  });
});

describe('root logger scrubbing', () => {
  it('scrubs messages, values and errors (message, stack, driver details and parameters)', () => {
    const lines: string[] = [];
    const logger = createRootLogger({ logLevel: 'info' }, { write: (l: string) => void lines.push(l) });
    const error = Object.assign(new Error('duplicate key value: (email)=(jane.canary@example.com)'), {
      parameters: ['+31 6 1234 5678', '4111 1111 1111 1111'],
      detail: 'Key (email)=(jane.canary@example.com) already exists.',
    });
    logger.error(
      { err: error, note: 'customer bob.canary@example.org called' },
      'failed for jane.canary@example.com',
    );
    const text = lines.join('');
    expect(text).not.toMatch(/jane\.canary|bob\.canary|1234 5678|4111 1111/);
    expect(text).toContain('[email]');
    expect(text).toContain('duplicate key value');
  });
});
