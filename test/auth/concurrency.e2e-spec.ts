import { describe, expect, it } from 'vitest';
import { passwordGrant, TEST_ADMIN_PASSWORD } from '../support/auth.js';
import { useTestApp } from '../support/use-test-app.js';

describe('concurrent logins', () => {
  const t = useTestApp({ env: { STRICT_RATE_LIMIT_PER_MINUTE: '10000' } });

  it('40 simultaneous password grants all succeed, each with its own refresh token', async () => {
    const responses = await Promise.all(
      Array.from({ length: 40 }, () => passwordGrant(t.app, 'admin', TEST_ADMIN_PASSWORD)),
    );
    const failures = responses.filter((r) => r.statusCode !== 200).map((r) => `${r.statusCode} ${r.body}`);
    expect(failures).toEqual([]);
    const refreshTokens = new Set(responses.map((r) => r.json<{ refresh_token: string }>().refresh_token));
    expect(refreshTokens.size).toBe(40);
  });
});
