import { DataSource } from 'typeorm';
import { describe, expect, it } from 'vitest';
import { storedEvents } from './support/audit.js';
import { bearer } from './support/auth.js';
import { useTestApp } from './support/use-test-app.js';

/** The shared e2e fixture does what its options say, in their order, and nothing more. */
describe('useTestApp', () => {
  const t = useTestApp({
    env: { STRICT_RATE_LIMIT_PER_MINUTE: '10000' },
    operators: { first: ['orders:read'], second: ['audit:read'] },
    clients: { Partner: ['orders:read'] },
    signIn: ['second'],
  });
  const readTooEarly = (): unknown => t.app;
  // Collected now, while vitest gathers the suite: its beforeAll has not run yet.
  const early = (() => {
    try {
      readTooEarly();
      return 'read without an error';
    } catch (error) {
      return (error as Error).message;
    }
  })();

  it('throws when read before its beforeAll ran', () => {
    expect(early).toMatch(/app read before the suite's beforeAll ran/);
  });

  it('creates the accounts in order, then signs in only those named (the admin first, to create them)', async () => {
    const events = (await storedEvents(t.app.get(DataSource))).filter(
      (e) => e.action.startsWith('admin.') || e.action === 'auth.token.issued',
    );
    const admin = events[0].target_id; // the bootstrap admin, created at start
    expect(events.map((e) => [e.action, e.action === 'auth.token.issued' ? e.actor : e.target_id])).toEqual([
      ['admin.operator.created', admin],
      ['auth.token.issued', admin],
      ['admin.operator.created', t.operator('first').id],
      ['admin.operator.created', t.operator('second').id],
      ['admin.client.created', t.client('Partner').clientId],
      ['auth.token.issued', t.operator('second').id],
    ]);
  });

  it('hands out the tokens of those who signed in, with their scopes, and refuses the others', async () => {
    const audit = await t.app.inject({
      method: 'GET',
      url: '/audit/verify',
      headers: bearer(t.token('second')),
    });
    expect(audit.statusCode).toBe(200);
    expect(t.grant('second').scope).toBe('audit:read');
    expect(t.token('admin')).toBe(t.grant('admin').access_token);
    expect(() => t.token('first')).toThrow(/setup has no token for first \(add it to signIn\)/);
  });

  it('names what a suite asks for that its setup does not have', () => {
    expect(() => t.proxy).toThrow(/no proxy/);
  });
});
